
# Consider dependencies only in project.
set(CMAKE_DEPENDS_IN_PROJECT_ONLY OFF)

# The set of languages for which implicit dependencies are needed:
set(CMAKE_DEPENDS_LANGUAGES
  )

# The set of dependency files which are needed:
set(CMAKE_DEPENDS_DEPENDENCY_FILES
  "/work/main/build-asan/generated/kernel_sources.c" "CMakeFiles/cltrain_lib.dir/generated/kernel_sources.c.o" "gcc" "CMakeFiles/cltrain_lib.dir/generated/kernel_sources.c.o.d"
  "/work/main/host/check.c" "CMakeFiles/cltrain_lib.dir/host/check.c.o" "gcc" "CMakeFiles/cltrain_lib.dir/host/check.c.o.d"
  "/work/main/host/checkpoint.c" "CMakeFiles/cltrain_lib.dir/host/checkpoint.c.o" "gcc" "CMakeFiles/cltrain_lib.dir/host/checkpoint.c.o.d"
  "/work/main/host/data.c" "CMakeFiles/cltrain_lib.dir/host/data.c.o" "gcc" "CMakeFiles/cltrain_lib.dir/host/data.c.o.d"
  "/work/main/host/device.c" "CMakeFiles/cltrain_lib.dir/host/device.c.o" "gcc" "CMakeFiles/cltrain_lib.dir/host/device.c.o.d"
  "/work/main/host/fileio.c" "CMakeFiles/cltrain_lib.dir/host/fileio.c.o" "gcc" "CMakeFiles/cltrain_lib.dir/host/fileio.c.o.d"
  "/work/main/host/json.c" "CMakeFiles/cltrain_lib.dir/host/json.c.o" "gcc" "CMakeFiles/cltrain_lib.dir/host/json.c.o.d"
  "/work/main/host/model.c" "CMakeFiles/cltrain_lib.dir/host/model.c.o" "gcc" "CMakeFiles/cltrain_lib.dir/host/model.c.o.d"
  "/work/main/host/ops.c" "CMakeFiles/cltrain_lib.dir/host/ops.c.o" "gcc" "CMakeFiles/cltrain_lib.dir/host/ops.c.o.d"
  "/work/main/host/plot.c" "CMakeFiles/cltrain_lib.dir/host/plot.c.o" "gcc" "CMakeFiles/cltrain_lib.dir/host/plot.c.o.d"
  "/work/main/host/ref.c" "CMakeFiles/cltrain_lib.dir/host/ref.c.o" "gcc" "CMakeFiles/cltrain_lib.dir/host/ref.c.o.d"
  "/work/main/host/safetensors.c" "CMakeFiles/cltrain_lib.dir/host/safetensors.c.o" "gcc" "CMakeFiles/cltrain_lib.dir/host/safetensors.c.o.d"
  "/work/main/host/train.c" "CMakeFiles/cltrain_lib.dir/host/train.c.o" "gcc" "CMakeFiles/cltrain_lib.dir/host/train.c.o.d"
  )

# Targets to which this target links.
set(CMAKE_TARGET_LINKED_INFO_FILES
  )

# Fortran module output directory.
set(CMAKE_Fortran_TARGET_MODULE_DIR "")
