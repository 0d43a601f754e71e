/* TensorBoard event files (internal to the library): a writer of one run folder's
 * events.out.tfevents.* file, as TensorFlow and Keras write them: TFRecord framing (length,
 * masked CRC-32C of the length, the bytes, masked CRC-32C of the bytes) around Event protocol
 * buffers that hold a Summary of scalars (simple_value) or histograms (HistogramProto).
 *
 *   ct_tb_writer *w;
 *   if (ct_tb_open(&w, "runs/exp1", "train", msg) != CT_OK) ...;  // runs/exp1/train/events...
 *   ct_tb_scalar(w, "epoch_loss", 0, 0.693);                       // buffered in the stream
 *   if (ct_tb_flush(w, msg) != CT_OK) ...;                         // on disk: TensorBoard sees it
 *   ct_tb_close(w);
 *
 * Each open makes a new file (the name carries the time, host, process and a counter; never an
 * existing file), so a resumed run adds a file to the same run folders and TensorBoard reads
 * them all in order. */
#ifndef CT_TBEVENTS_H
#define CT_TBEVENTS_H

#include <stddef.h>
#include <stdint.h>

#include "cltrain.h"

typedef struct ct_tb_writer ct_tb_writer;

/* Creates dir and dir/run when missing and a new event file in dir/run, whose first record is
 * the Event with file_version "brain.Event:2". CT_ERR_IO names the path and the reason. */
ct_status ct_tb_open(ct_tb_writer **out, const char *dir, const char *run, char msg[CT_MSG_LEN]);
/* One scalar point (an Event with a Summary.Value simple_value) at step; wall time now. A write
 * error is kept and reported by ct_tb_flush. */
void ct_tb_scalar(ct_tb_writer *w, const char *tag, long long step, double value);
/* A histogram of v[0..n) (30 equal buckets between its min and max; NaN and Inf left out). */
void ct_tb_histogram(ct_tb_writer *w, const char *tag, long long step, const float *v, size_t n);
/* Everything written so far onto the disk (fflush and fsync); CT_ERR_IO / CT_ERR_ALLOC with the
 * file's name for any failure since the last flush. */
ct_status ct_tb_flush(ct_tb_writer *w, char msg[CT_MSG_LEN]);
/* The file's path. */
const char *ct_tb_path(const ct_tb_writer *w);
/* Closes the file (no flush error is reported: call ct_tb_flush first). Accepts NULL. */
void ct_tb_close(ct_tb_writer *w);

/* CRC-32C (Castagnoli, reflected polynomial 0x82F63B78) of n bytes: "123456789" -> 0xE3069283. */
uint32_t ct_crc32c(const void *p, size_t n);
/* TFRecord's masked form: ((crc >> 15) | (crc << 17)) + 0xa282ead8. */
uint32_t ct_crc32c_masked(const void *p, size_t n);

#endif
