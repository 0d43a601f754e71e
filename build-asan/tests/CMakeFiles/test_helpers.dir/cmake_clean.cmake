file(REMOVE_RECURSE
  "CMakeFiles/test_helpers.dir/test_helpers.c.o"
  "CMakeFiles/test_helpers.dir/test_helpers.c.o.d"
  "test_helpers"
  "test_helpers.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/test_helpers.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
