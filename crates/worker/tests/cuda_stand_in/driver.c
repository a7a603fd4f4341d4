/* A stand-in for the CUDA driver (libcuda.so.1), for the worker's tests on machines
 * without a GPU (src/cuda.rs, `the_cuda_path_runs_against_a_stand_in_driver_and_cublas`).
 * "Device" memory is host memory and every call completes at once. It has the entry points
 * that the backend's probe and cudarc's context, stream, memory and event calls use; a
 * newer cudarc that calls another one fails the test by naming it ("Missing symbol ...").
 *
 * Variants (-D): STAND_IN_VERSION (cuDriverGetVersion, default 12080), STAND_IN_NO_DEVICE
 * (cuInit reports CUDA_ERROR_NO_DEVICE), STAND_IN_INIT_STATUS (cuInit returns it),
 * STAND_IN_PROBE_ONLY (only the functions the probe calls: cudarc then panics on its
 * first call). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#ifndef STAND_IN_VERSION
#define STAND_IN_VERSION 12080
#endif

typedef uint64_t dptr;

int cuDriverGetVersion(int *v) { *v = STAND_IN_VERSION; return 0; }
int cuGetErrorName(int e, const char **s) { *s = e == 999 ? "CUDA_ERROR_UNKNOWN" : "STAND_IN_ERROR"; return 0; }
#if defined(STAND_IN_NO_DEVICE)
int cuInit(unsigned f) { (void)f; return 100; }
int cuDeviceGetCount(int *c) { *c = 0; return 0; }
#elif defined(STAND_IN_INIT_STATUS)
int cuInit(unsigned f) { (void)f; return STAND_IN_INIT_STATUS; }
int cuDeviceGetCount(int *c) { *c = 0; return 0; }
#else
int cuInit(unsigned f) { (void)f; return 0; }
int cuDeviceGetCount(int *c) { *c = 1; return 0; }
#endif

#ifndef STAND_IN_PROBE_ONLY
static int context;
static void *current = 0;
int cuDeviceGet(int *d, int ordinal) { if (ordinal != 0) return 101; *d = 0; return 0; }
int cuDevicePrimaryCtxRetain(void **c, int d) { (void)d; *c = &context; return 0; }
int cuDevicePrimaryCtxRelease_v2(int d) { (void)d; return 0; }
int cuDeviceGetAttribute(int *v, int a, int d) { (void)a; (void)d; *v = 0; return 0; }
int cuDeviceGetName(char *name, int len, int d) { (void)d; strncpy(name, "Stand-in GPU", (size_t)len); return 0; }
int cuDeviceTotalMem_v2(size_t *bytes, int d) { (void)d; *bytes = (size_t)1 << 30; return 0; }
int cuCtxGetCurrent(void **c) { *c = current; return 0; }
int cuCtxSetCurrent(void *c) { current = c; return 0; }
int cuCtxSynchronize(void) { return 0; }
int cuMemGetInfo_v2(size_t *free_bytes, size_t *total) { *free_bytes = (size_t)1 << 30; *total = (size_t)1 << 30; return 0; }
int cuStreamCreate(void **s, unsigned f) { (void)f; *s = malloc(1); return 0; }
int cuStreamDestroy_v2(void *s) { free(s); return 0; }
int cuStreamSynchronize(void *s) { (void)s; return 0; }
int cuStreamWaitEvent(void *s, void *e, unsigned f) { (void)s; (void)e; (void)f; return 0; }
int cuEventCreate(void **e, unsigned f) { (void)f; *e = malloc(1); return 0; }
int cuEventDestroy_v2(void *e) { free(e); return 0; }
int cuEventRecord(void *e, void *s) { (void)e; (void)s; return 0; }
int cuEventSynchronize(void *e) { (void)e; return 0; }
int cuMemAlloc_v2(dptr *p, size_t n) { *p = (dptr)(uintptr_t)malloc(n); return 0; }
int cuMemFree_v2(dptr p) { free((void *)(uintptr_t)p); return 0; }
int cuMemAllocAsync(dptr *p, size_t n, void *s) { (void)s; return cuMemAlloc_v2(p, n); }
int cuMemFreeAsync(dptr p, void *s) { (void)s; return cuMemFree_v2(p); }
int cuMemsetD8Async(dptr p, unsigned char v, size_t n, void *s) { (void)s; memset((void *)(uintptr_t)p, v, n); return 0; }
int cuMemcpyHtoDAsync_v2(dptr d, const void *h, size_t n, void *s) { (void)s; memcpy((void *)(uintptr_t)d, h, n); return 0; }
int cuMemcpyDtoHAsync_v2(void *h, dptr d, size_t n, void *s) { (void)s; memcpy(h, (void *)(uintptr_t)d, n); return 0; }
int cuGetErrorString(int e, const char **s) { (void)e; *s = "stand-in error"; return 0; }
#endif
