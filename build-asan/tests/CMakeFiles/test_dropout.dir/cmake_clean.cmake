file(REMOVE_RECURSE
  "CMakeFiles/test_dropout.dir/test_dropout.c.o"
  "CMakeFiles/test_dropout.dir/test_dropout.c.o.d"
  "test_dropout"
  "test_dropout.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/test_dropout.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
