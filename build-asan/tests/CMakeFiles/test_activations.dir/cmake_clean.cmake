file(REMOVE_RECURSE
  "CMakeFiles/test_activations.dir/test_activations.c.o"
  "CMakeFiles/test_activations.dir/test_activations.c.o.d"
  "test_activations"
  "test_activations.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/test_activations.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
