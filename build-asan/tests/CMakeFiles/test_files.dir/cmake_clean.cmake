file(REMOVE_RECURSE
  "CMakeFiles/test_files.dir/test_files.c.o"
  "CMakeFiles/test_files.dir/test_files.c.o.d"
  "test_files"
  "test_files.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/test_files.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
