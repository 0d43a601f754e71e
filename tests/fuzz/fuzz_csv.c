/* libFuzzer harness: the CSV reader (ct_data_load on a .csv file) with varied options.
 *
 * Input: byte 0 and byte 1 choose the options, the rest is the file.
 *   byte 0, bits 0-1: the label column: the last one, by 0-based index, by name, or "" (empty)
 *           bit 2:    require_labels
 *           bits 3-6: the task and the class names (fz_data_opts)
 *           bit 7:    the file has no extension (the format is sniffed from its bytes)
 *   byte 1: the index (byte 1 % 12; 250..255 give odd ones) or the name (one of a list) */
#include <stdint.h>
#include <stdio.h>

#include "fuzz_util.h"

static const char *label_option(unsigned mode, unsigned arg, char buf[32]) {
    static const char *const names[] = {"label", "species", "y",   "class", "target",
                                        "x0",    "0",       "a b", "\"q\""};
    static const char *const odd[] = {"99999999999999999999", "-1", "+1", "1e3", " 1", "007"};
    switch (mode) {
    case 1:
        if (arg >= 250) return odd[arg - 250];
        snprintf(buf, 32, "%u", arg % 12);
        return buf;
    case 2: return names[arg % (sizeof names / sizeof *names)];
    case 3: return "";
    default: return NULL;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 2) return 0;
    unsigned b0 = data[0], b1 = data[1];
    char buf[32];
    ct_data_opts o = {0};
    o.label = label_option(b0 & 3, b1, buf);
    o.require_labels = (b0 >> 2) & 1;
    fz_data_opts(&o, b0 >> 3);
    const char *path = (b0 & 0x80) ? fz_path(1, "") : fz_path(0, ".csv");
    fz_write(path, data + 2, size - 2);
    fz_load_dataset(path, &o);
    return 0;
}
