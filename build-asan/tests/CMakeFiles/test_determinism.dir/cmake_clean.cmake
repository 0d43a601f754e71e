file(REMOVE_RECURSE
  "CMakeFiles/test_determinism.dir/test_determinism.c.o"
  "CMakeFiles/test_determinism.dir/test_determinism.c.o.d"
  "test_determinism"
  "test_determinism.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/test_determinism.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
