
# Consider dependencies only in project.
set(CMAKE_DEPENDS_IN_PROJECT_ONLY OFF)

# The set of languages for which implicit dependencies are needed:
set(CMAKE_DEPENDS_LANGUAGES
  )

# The set of dependency files which are needed:
set(CMAKE_DEPENDS_DEPENDENCY_FILES
  "/work/main/host/cli/devices.c" "CMakeFiles/cltrain.dir/host/cli/devices.c.o" "gcc" "CMakeFiles/cltrain.dir/host/cli/devices.c.o.d"
  "/work/main/host/cli/eval.c" "CMakeFiles/cltrain.dir/host/cli/eval.c.o" "gcc" "CMakeFiles/cltrain.dir/host/cli/eval.c.o.d"
  "/work/main/host/cli/main.c" "CMakeFiles/cltrain.dir/host/cli/main.c.o" "gcc" "CMakeFiles/cltrain.dir/host/cli/main.c.o.d"
  "/work/main/host/cli/model_io.c" "CMakeFiles/cltrain.dir/host/cli/model_io.c.o" "gcc" "CMakeFiles/cltrain.dir/host/cli/model_io.c.o.d"
  "/work/main/host/cli/predict.c" "CMakeFiles/cltrain.dir/host/cli/predict.c.o" "gcc" "CMakeFiles/cltrain.dir/host/cli/predict.c.o.d"
  "/work/main/host/cli/selftest.c" "CMakeFiles/cltrain.dir/host/cli/selftest.c.o" "gcc" "CMakeFiles/cltrain.dir/host/cli/selftest.c.o.d"
  "/work/main/host/cli/train.c" "CMakeFiles/cltrain.dir/host/cli/train.c.o" "gcc" "CMakeFiles/cltrain.dir/host/cli/train.c.o.d"
  )

# Targets to which this target links.
set(CMAKE_TARGET_LINKED_INFO_FILES
  "/work/main/build-asan/CMakeFiles/cltrain_lib.dir/DependInfo.cmake"
  )

# Fortran module output directory.
set(CMAKE_Fortran_TARGET_MODULE_DIR "")
