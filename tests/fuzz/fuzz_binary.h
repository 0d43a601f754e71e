/* The shared body of the IDX and NPY harnesses (fuzz_idx.c, fuzz_npy.c).
 *
 * Input: byte 0 chooses the options, bytes 1-2 (big-endian) give the length L of the labels
 * file, bytes 3 .. 3+L-1 are the labels file and the rest is the features / images file (a
 * shorter input gives a short labels file and an empty features file).
 *   byte 0, bit 0:    require_labels
 *           bit 1:    no labels file (opts.labels_path NULL)
 *           bits 2-5: the task and the class names (fz_data_opts)
 *           bit 6:    the features file has no extension (the format is sniffed)
 *           bit 7:    the labels file is named .npy (else .idx; its format is sniffed) */
#ifndef CT_FUZZ_BINARY_H
#define CT_FUZZ_BINARY_H

#include <stdint.h>

#include "fuzz_util.h"

static int fz_binary_input(const uint8_t *data, size_t size, const char *ext) {
    if (size < 3) return 0;
    unsigned b0 = data[0];
    size_t ll = (size_t)data[1] << 8 | data[2];
    data += 3;
    size -= 3;
    if (ll > size) ll = size;
    ct_data_opts o = {0};
    o.require_labels = b0 & 1;
    fz_data_opts(&o, b0 >> 2);
    if (!(b0 & 2)) {
        o.labels_path = (b0 & 0x80) ? fz_path(2, "-labels.npy") : fz_path(3, "-labels.idx");
        fz_write(o.labels_path, data, ll);
    }
    const char *path = (b0 & 0x40) ? fz_path(1, "") : fz_path(0, ext);
    fz_write(path, data + ll, size - ll);
    fz_load_dataset(path, &o);
    return 0;
}

#endif
