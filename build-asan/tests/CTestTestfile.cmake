# CMake generated Testfile for 
# Source directory: /work/main/tests
# Build directory: /work/main/build-asan/tests
# 
# This file includes the relevant testing commands required for 
# testing this directory and lists subdirectories to be tested as well.
add_test([=[ref_grad]=] "/work/main/build-asan/tests/test_ref_grad")
set_tests_properties([=[ref_grad]=] PROPERTIES  LABELS "reference" SKIP_RETURN_CODE "77" _BACKTRACE_TRIPLES "/work/main/tests/CMakeLists.txt;6;add_test;/work/main/tests/CMakeLists.txt;0;")
add_test([=[device]=] "/work/main/build-asan/tests/test_device")
set_tests_properties([=[device]=] PROPERTIES  LABELS "device" SKIP_RETURN_CODE "77" TIMEOUT "600" _BACKTRACE_TRIPLES "/work/main/tests/CMakeLists.txt;12;add_test;/work/main/tests/CMakeLists.txt;0;")
add_test([=[gemm]=] "/work/main/build-asan/tests/test_gemm")
set_tests_properties([=[gemm]=] PROPERTIES  LABELS "device" SKIP_RETURN_CODE "77" TIMEOUT "600" _BACKTRACE_TRIPLES "/work/main/tests/CMakeLists.txt;12;add_test;/work/main/tests/CMakeLists.txt;0;")
add_test([=[activations]=] "/work/main/build-asan/tests/test_activations")
set_tests_properties([=[activations]=] PROPERTIES  LABELS "device" SKIP_RETURN_CODE "77" TIMEOUT "600" _BACKTRACE_TRIPLES "/work/main/tests/CMakeLists.txt;12;add_test;/work/main/tests/CMakeLists.txt;0;")
add_test([=[loss]=] "/work/main/build-asan/tests/test_loss")
set_tests_properties([=[loss]=] PROPERTIES  LABELS "device" SKIP_RETURN_CODE "77" TIMEOUT "600" _BACKTRACE_TRIPLES "/work/main/tests/CMakeLists.txt;12;add_test;/work/main/tests/CMakeLists.txt;0;")
add_test([=[dropout]=] "/work/main/build-asan/tests/test_dropout")
set_tests_properties([=[dropout]=] PROPERTIES  LABELS "device" SKIP_RETURN_CODE "77" TIMEOUT "600" _BACKTRACE_TRIPLES "/work/main/tests/CMakeLists.txt;12;add_test;/work/main/tests/CMakeLists.txt;0;")
add_test([=[optim]=] "/work/main/build-asan/tests/test_optim")
set_tests_properties([=[optim]=] PROPERTIES  LABELS "device" SKIP_RETURN_CODE "77" TIMEOUT "600" _BACKTRACE_TRIPLES "/work/main/tests/CMakeLists.txt;12;add_test;/work/main/tests/CMakeLists.txt;0;")
add_test([=[helpers]=] "/work/main/build-asan/tests/test_helpers")
set_tests_properties([=[helpers]=] PROPERTIES  LABELS "device" SKIP_RETURN_CODE "77" TIMEOUT "600" _BACKTRACE_TRIPLES "/work/main/tests/CMakeLists.txt;12;add_test;/work/main/tests/CMakeLists.txt;0;")
add_test([=[determinism]=] "/work/main/build-asan/tests/test_determinism")
set_tests_properties([=[determinism]=] PROPERTIES  LABELS "device" SKIP_RETURN_CODE "77" TIMEOUT "600" _BACKTRACE_TRIPLES "/work/main/tests/CMakeLists.txt;12;add_test;/work/main/tests/CMakeLists.txt;0;")
add_test([=[train]=] "/work/main/build-asan/tests/test_train")
set_tests_properties([=[train]=] PROPERTIES  LABELS "device" SKIP_RETURN_CODE "77" TIMEOUT "600" _BACKTRACE_TRIPLES "/work/main/tests/CMakeLists.txt;12;add_test;/work/main/tests/CMakeLists.txt;0;")
add_test([=[cli]=] "bash" "/work/main/tests/cli.sh" "/work/main/build-asan/cltrain")
set_tests_properties([=[cli]=] PROPERTIES  LABELS "device;cli" TIMEOUT "600" _BACKTRACE_TRIPLES "/work/main/tests/CMakeLists.txt;17;add_test;/work/main/tests/CMakeLists.txt;0;")
add_test([=[files]=] "/work/main/build-asan/tests/test_files")
set_tests_properties([=[files]=] PROPERTIES  LABELS "host" SKIP_RETURN_CODE "77" _BACKTRACE_TRIPLES "/work/main/tests/CMakeLists.txt;23;add_test;/work/main/tests/CMakeLists.txt;0;")
add_test([=[train_cli]=] "bash" "/work/main/tests/train_cli.sh" "/work/main/build-asan/cltrain" "/work/main/data")
set_tests_properties([=[train_cli]=] PROPERTIES  LABELS "device;cli" TIMEOUT "900" _BACKTRACE_TRIPLES "/work/main/tests/CMakeLists.txt;27;add_test;/work/main/tests/CMakeLists.txt;0;")
add_test([=[data]=] "/work/main/build-asan/tests/test_data" "/work/main/data")
set_tests_properties([=[data]=] PROPERTIES  LABELS "host" SKIP_RETURN_CODE "77" _BACKTRACE_TRIPLES "/work/main/tests/CMakeLists.txt;33;add_test;/work/main/tests/CMakeLists.txt;0;")
