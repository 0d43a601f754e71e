file(REMOVE_RECURSE
  "CMakeFiles/cltrain.dir/host/cli/devices.c.o"
  "CMakeFiles/cltrain.dir/host/cli/devices.c.o.d"
  "CMakeFiles/cltrain.dir/host/cli/eval.c.o"
  "CMakeFiles/cltrain.dir/host/cli/eval.c.o.d"
  "CMakeFiles/cltrain.dir/host/cli/main.c.o"
  "CMakeFiles/cltrain.dir/host/cli/main.c.o.d"
  "CMakeFiles/cltrain.dir/host/cli/model_io.c.o"
  "CMakeFiles/cltrain.dir/host/cli/model_io.c.o.d"
  "CMakeFiles/cltrain.dir/host/cli/predict.c.o"
  "CMakeFiles/cltrain.dir/host/cli/predict.c.o.d"
  "CMakeFiles/cltrain.dir/host/cli/selftest.c.o"
  "CMakeFiles/cltrain.dir/host/cli/selftest.c.o.d"
  "CMakeFiles/cltrain.dir/host/cli/train.c.o"
  "CMakeFiles/cltrain.dir/host/cli/train.c.o.d"
  "cltrain"
  "cltrain.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/cltrain.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
