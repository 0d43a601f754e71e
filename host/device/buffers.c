/* Buffer helpers for tests and tools: create, write, read, map, unmap (blocking). */
#include "internal.h"

/* ---- buffers ----------------------------------------------------------------------------- */

ct_status ct_buffer_create(ct_device *dev, cl_mem *out, size_t bytes, const char *what) {
    cl_int e;
    *out = clCreateBuffer(dev->ctx, CL_MEM_READ_WRITE, bytes ? bytes : 4, NULL, &e);
    if (e != CL_SUCCESS) {
        *out = NULL;
        return ct_fail(dev, CT_ERR_OPENCL,
                       "allocating %s (%zu bytes) on %s: clCreateBuffer failed: %s (%d)", what,
                       bytes, dev->info.name, ct_cl_error_name(e), (int)e);
    }
    dev->buffers_created++;
    return CT_OK;
}

ct_status ct_buffer_write(ct_device *dev, cl_mem m, size_t byte_off, size_t bytes,
                          const void *src) {
    cl_int e = clEnqueueWriteBuffer(dev->queue, m, CL_TRUE, byte_off, bytes, src, 0, NULL, NULL);
    return e == CL_SUCCESS ? CT_OK
                           : ct_cl_fail(dev, e, "clEnqueueWriteBuffer", "uploading a buffer");
}

ct_status ct_buffer_read(ct_device *dev, cl_mem m, size_t byte_off, size_t bytes, void *dst) {
    cl_int e = clEnqueueReadBuffer(dev->queue, m, CL_TRUE, byte_off, bytes, dst, 0, NULL, NULL);
    return e == CL_SUCCESS ? CT_OK : ct_cl_fail(dev, e, "clEnqueueReadBuffer", "reading a buffer");
}

ct_status ct_buffer_map(ct_device *dev, cl_mem m, size_t byte_off, size_t bytes, void **p) {
    cl_int e = CL_SUCCESS;
    *p = clEnqueueMapBuffer(dev->queue, m, CL_TRUE, CL_MAP_READ | CL_MAP_WRITE, byte_off, bytes, 0,
                            NULL, NULL, &e);
    return e == CL_SUCCESS && *p ? CT_OK
                                 : ct_cl_fail(dev, e, "clEnqueueMapBuffer", "mapping a buffer");
}

ct_status ct_buffer_unmap(ct_device *dev, cl_mem m, void *p) {
    cl_int e = clEnqueueUnmapMemObject(dev->queue, m, p, 0, NULL, NULL);
    return e == CL_SUCCESS ? CT_OK
                           : ct_cl_fail(dev, e, "clEnqueueUnmapMemObject", "unmapping a buffer");
}
