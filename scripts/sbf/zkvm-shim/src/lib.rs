//! The SBF lane builds `std` for a custom `bpfel` target whose OS is "zkvm", because that
//! std platform layer needs only a handful of host calls. This crate answers them with
//! Solana syscalls: output goes to the program log, a panic aborts, and allocation is a
//! bump allocator over the VM's 32 KiB heap (top-down, its cursor in the heap's first word,
//! the layout solana-program's own allocator uses). Linked into every SBF artifact; never
//! into a native build.
#![allow(clippy::missing_safety_doc)]
#![no_std]

extern "C" {
    fn sol_log_(message: *const u8, len: u64);
    fn abort() -> !;
}

const HEAP_START: usize = 0x3_0000_0000;
const HEAP_LEN: usize = 32 * 1024;

#[no_mangle]
pub unsafe extern "C" fn sys_halt() {
    abort()
}

#[no_mangle]
pub unsafe extern "C" fn sys_output(_a: u32, _b: u32) {}

#[no_mangle]
pub unsafe extern "C" fn sys_sha_compress(_o: *mut [u32; 8], _i: *const [u32; 8], _a: *const [u32; 8], _b: *const [u32; 8]) {
    abort()
}

#[no_mangle]
pub unsafe extern "C" fn sys_sha_buffer(_o: *mut [u32; 8], _i: *const [u32; 8], _b: *const u8, _c: u32) {
    abort()
}

/// Deterministic words: the VM has no entropy, and nothing on-chain may depend on any.
#[no_mangle]
pub unsafe extern "C" fn sys_rand(buf: *mut u32, words: usize) {
    for i in 0..words {
        *buf.add(i) = 0x9e37_79b9u32.wrapping_mul(i as u32 + 1);
    }
}

#[no_mangle]
pub unsafe extern "C" fn sys_panic(message: *const u8, len: usize) -> ! {
    sol_log_(message, len as u64);
    abort()
}

#[no_mangle]
pub unsafe extern "C" fn sys_log(message: *const u8, len: usize) {
    sol_log_(message, len as u64)
}

#[no_mangle]
pub unsafe extern "C" fn sys_cycle_count() -> usize {
    0
}

#[no_mangle]
pub unsafe extern "C" fn sys_read(_fd: u32, _buf: *mut u8, _len: usize) -> usize {
    0
}

#[no_mangle]
pub unsafe extern "C" fn sys_write(_fd: u32, buf: *const u8, len: usize) {
    sol_log_(buf, len as u64)
}

#[no_mangle]
pub unsafe extern "C" fn sys_getenv(_out: *mut u32, _words: usize, _name: *const u8, _len: usize) -> usize {
    usize::MAX
}

#[no_mangle]
pub unsafe extern "C" fn sys_argc() -> usize {
    0
}

#[no_mangle]
pub unsafe extern "C" fn sys_argv(_out: *mut u32, _words: usize, _index: usize) -> usize {
    0
}

#[no_mangle]
pub unsafe extern "C" fn sys_alloc_words(words: usize) -> *mut u32 {
    sys_alloc_aligned(words * 4, 4) as *mut u32
}

#[no_mangle]
pub unsafe extern "C" fn sys_alloc_aligned(bytes: usize, align: usize) -> *mut u8 {
    let cursor = HEAP_START as *mut usize;
    let mut next = *cursor;
    if next == 0 {
        next = HEAP_START + HEAP_LEN;
    }
    next = next.saturating_sub(bytes) & !(align.wrapping_sub(1));
    if next < HEAP_START + core::mem::size_of::<usize>() {
        return core::ptr::null_mut();
    }
    *cursor = next;
    next as *mut u8
}
