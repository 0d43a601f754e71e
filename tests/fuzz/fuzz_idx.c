/* libFuzzer harness: the IDX reader (ct_data_load on images .idx + labels), input layout in
 * fuzz_binary.h. */
#include "fuzz_binary.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    return fz_binary_input(data, size, ".idx");
}
