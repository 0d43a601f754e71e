file(REMOVE_RECURSE
  "CMakeFiles/test_loss.dir/test_loss.c.o"
  "CMakeFiles/test_loss.dir/test_loss.c.o.d"
  "test_loss"
  "test_loss.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/test_loss.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
