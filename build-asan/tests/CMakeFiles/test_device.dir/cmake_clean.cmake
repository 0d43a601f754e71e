file(REMOVE_RECURSE
  "CMakeFiles/test_device.dir/test_device.c.o"
  "CMakeFiles/test_device.dir/test_device.c.o.d"
  "test_device"
  "test_device.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/test_device.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
