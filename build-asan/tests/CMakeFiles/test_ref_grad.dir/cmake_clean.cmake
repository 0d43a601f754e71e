file(REMOVE_RECURSE
  "CMakeFiles/test_ref_grad.dir/test_ref_grad.c.o"
  "CMakeFiles/test_ref_grad.dir/test_ref_grad.c.o.d"
  "test_ref_grad"
  "test_ref_grad.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/test_ref_grad.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
