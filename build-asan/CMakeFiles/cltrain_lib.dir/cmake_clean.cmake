file(REMOVE_RECURSE
  "CMakeFiles/cltrain_lib.dir/generated/kernel_sources.c.o"
  "CMakeFiles/cltrain_lib.dir/generated/kernel_sources.c.o.d"
  "CMakeFiles/cltrain_lib.dir/host/check.c.o"
  "CMakeFiles/cltrain_lib.dir/host/check.c.o.d"
  "CMakeFiles/cltrain_lib.dir/host/checkpoint.c.o"
  "CMakeFiles/cltrain_lib.dir/host/checkpoint.c.o.d"
  "CMakeFiles/cltrain_lib.dir/host/data.c.o"
  "CMakeFiles/cltrain_lib.dir/host/data.c.o.d"
  "CMakeFiles/cltrain_lib.dir/host/device.c.o"
  "CMakeFiles/cltrain_lib.dir/host/device.c.o.d"
  "CMakeFiles/cltrain_lib.dir/host/fileio.c.o"
  "CMakeFiles/cltrain_lib.dir/host/fileio.c.o.d"
  "CMakeFiles/cltrain_lib.dir/host/json.c.o"
  "CMakeFiles/cltrain_lib.dir/host/json.c.o.d"
  "CMakeFiles/cltrain_lib.dir/host/model.c.o"
  "CMakeFiles/cltrain_lib.dir/host/model.c.o.d"
  "CMakeFiles/cltrain_lib.dir/host/ops.c.o"
  "CMakeFiles/cltrain_lib.dir/host/ops.c.o.d"
  "CMakeFiles/cltrain_lib.dir/host/plot.c.o"
  "CMakeFiles/cltrain_lib.dir/host/plot.c.o.d"
  "CMakeFiles/cltrain_lib.dir/host/ref.c.o"
  "CMakeFiles/cltrain_lib.dir/host/ref.c.o.d"
  "CMakeFiles/cltrain_lib.dir/host/safetensors.c.o"
  "CMakeFiles/cltrain_lib.dir/host/safetensors.c.o.d"
  "CMakeFiles/cltrain_lib.dir/host/train.c.o"
  "CMakeFiles/cltrain_lib.dir/host/train.c.o.d"
  "generated/kernel_sources.c"
  "libcltrain.a"
  "libcltrain.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/cltrain_lib.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
