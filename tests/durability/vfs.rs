//! `powercut`: a SQLite VFS over the real `unix` one that keeps every write
//! not yet synced in memory, as SQLite's own crash tests do (`test6.c`).
//!
//! Reads see the writes (a process sees its own page cache); `xSync` puts
//! a file's held writes into the real file. A power cut ([`cut_now`], or
//! armed with [`arm`] to strike at the N-th write or sync) keeps a random
//! subset of each file's held writes and truncations, in order, drops the
//! rest, and from then on every read, write and sync fails as on a machine
//! without power; the files on disk are what a reboot would find. A store
//! opens on it through SQLite3 Multiple Ciphers' own wrapper
//! ([`STORE_VFS`], encryption above, `powercut` below, `unix` at the
//! bottom), so encrypted stores are tested as devices run them.
//!
//! What it does not model: a file whose creation was never made durable
//! by a directory sync (SQLite syncs the directory of a new WAL itself),
//! and torn writes inside one `xWrite` (SQLite's default sector size and
//! the `unix` VFS's powersafe-overwrite claim promise whole writes; a WAL
//! frame is two writes, header and page, and they are kept or dropped
//! independently).
//!
//! With [`set_defer`], syncs are held back too, until [`flush_all`]: the
//! SIGKILL harness's negative control, a hub that answers before its
//! writes are on disk.

use std::alloc::{Layout, alloc_zeroed, dealloc};
use std::collections::HashMap;
use std::ffi::{CStr, c_char, c_int, c_void};
use std::os::unix::fs::FileExt;
use std::sync::{Mutex, MutexGuard, OnceLock};

use onsite_core::sample::Rng;
use rusqlite::ffi;

/// The VFS's own name.
pub const NAME: &CStr = c"powercut";
/// What a store opens on: SQLite3 Multiple Ciphers over `powercut` (the
/// wrapper is made on first use of the name).
pub const STORE_VFS: &str = "multipleciphers-powercut";

enum Op {
    Write(i64, Vec<u8>),
    Truncate(i64),
}

struct State {
    /// Writes and truncations per file path, not yet synced.
    held: HashMap<String, Vec<Op>>,
    /// The power is off.
    cut: bool,
    /// Writes, truncations and syncs of tracked files since [`reset`].
    ops: u64,
    /// Cut the power at this op (it is not carried out).
    strike_at: Option<u64>,
    /// Syncs are held back too, until [`flush_all`].
    defer: bool,
    rng: Rng,
    /// Held operations kept and dropped by cuts so far.
    kept: u64,
    dropped: u64,
}

struct Global {
    real: *mut ffi::sqlite3_vfs,
    state: Mutex<State>,
}

// SAFETY: `real` points to SQLite's registered `unix` VFS, which lives as
// long as the process and is safe to call from any thread.
unsafe impl Send for Global {}
unsafe impl Sync for Global {}

static GLOBAL: OnceLock<Global> = OnceLock::new();

fn global() -> &'static Global {
    GLOBAL.get_or_init(|| {
        // SAFETY: sqlite3_vfs_find initialises SQLite and returns a VFS
        // that stays registered; the VFS built here is leaked, so the
        // pointer SQLite keeps stays valid.
        unsafe {
            let real = ffi::sqlite3_vfs_find(c"unix".as_ptr());
            assert!(!real.is_null(), "SQLite has no unix VFS");
            let vfs = Box::new(ffi::sqlite3_vfs {
                iVersion: 2,
                szOsFile: std::mem::size_of::<File>() as c_int,
                mxPathname: (*real).mxPathname,
                pNext: std::ptr::null_mut(),
                zName: NAME.as_ptr(),
                pAppData: std::ptr::null_mut(),
                xOpen: Some(x_open),
                xDelete: Some(x_delete),
                xAccess: Some(x_access),
                xFullPathname: Some(x_full_pathname),
                xDlOpen: None,
                xDlError: None,
                xDlSym: None,
                xDlClose: None,
                xRandomness: Some(x_randomness),
                xSleep: Some(x_sleep),
                xCurrentTime: Some(x_current_time),
                xGetLastError: Some(x_get_last_error),
                xCurrentTimeInt64: Some(x_current_time_int64),
                xSetSystemCall: None,
                xGetSystemCall: None,
                xNextSystemCall: None,
            });
            let rc = ffi::sqlite3_vfs_register(Box::into_raw(vfs), 0);
            assert_eq!(rc, ffi::SQLITE_OK, "registering the powercut VFS");
            Global {
                real,
                state: Mutex::new(State {
                    held: HashMap::new(),
                    cut: false,
                    ops: 0,
                    strike_at: None,
                    defer: false,
                    rng: Rng::new(0),
                    kept: 0,
                    dropped: 0,
                }),
            }
        }
    })
}

fn state() -> MutexGuard<'static, State> {
    global().state.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Registers the VFS (once per process).
pub fn register() {
    global();
}

/// One test at a time uses the VFS (its state is the process's).
static SERIAL: Mutex<()> = Mutex::new(());

/// Takes the VFS for one test: nothing held, power on, no strike armed.
pub fn session(seed: u64) -> MutexGuard<'static, ()> {
    register();
    let guard = SERIAL.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    reset(seed);
    guard
}

/// Power on, nothing held (what a reboot finds is on disk), no strike.
pub fn reset(seed: u64) {
    let mut s = state();
    s.held.clear();
    s.cut = false;
    s.ops = 0;
    s.strike_at = None;
    s.defer = false;
    s.rng = Rng::new(seed);
}

/// Writes, truncations and syncs of tracked files since [`reset`].
pub fn ops() -> u64 {
    state().ops
}

/// Cuts the power at the `n`-th op from now (1: the next one).
pub fn arm(n: u64) {
    let mut s = state();
    s.strike_at = Some(s.ops + n.max(1));
}

/// Whether the power is off.
pub fn was_cut() -> bool {
    state().cut
}

/// Cuts the power now (if it is still on).
pub fn cut_now() {
    let mut s = state();
    if !s.cut {
        cut(&mut s);
    }
}

/// Held operations kept and dropped by the cuts so far.
pub fn cut_stats() -> (u64, u64) {
    let s = state();
    (s.kept, s.dropped)
}

/// Holds syncs back too (until [`flush_all`]).
pub fn set_defer(defer: bool) {
    state().defer = defer;
}

/// Puts everything held into the real files.
pub fn flush_all() {
    let mut s = state();
    let held = std::mem::take(&mut s.held);
    for (path, ops) in held {
        apply(&path, ops.iter());
    }
}

fn apply<'a>(path: &str, ops: impl Iterator<Item = &'a Op>) {
    let file = match std::fs::OpenOptions::new().write(true).open(path) {
        Ok(f) => f,
        // Deleted since: nothing of it survives.
        Err(_) => return,
    };
    for op in ops {
        let done = match op {
            Op::Write(at, data) => file.write_all_at(data, *at as u64),
            Op::Truncate(len) => file.set_len(*len as u64),
        };
        if let Err(e) = done {
            panic!("powercut: writing {path}: {e}");
        }
    }
}

/// The cut: each held op survives with even odds, in order; the rest is gone.
fn cut(s: &mut State) {
    s.cut = true;
    s.strike_at = None;
    let held = std::mem::take(&mut s.held);
    for (path, ops) in held {
        let mut keep = Vec::new();
        for op in ops {
            if s.rng.chance(50) {
                keep.push(op);
                s.kept += 1;
            } else {
                s.dropped += 1;
            }
        }
        apply(&path, keep.iter());
    }
}

/// Counts one op; true when the power goes off at it.
fn strikes(s: &mut State) -> bool {
    s.ops += 1;
    if s.strike_at.is_some_and(|n| s.ops >= n) {
        cut(s);
        return true;
    }
    false
}

#[repr(C)]
struct File {
    base: ffi::sqlite3_file,
    /// The `unix` VFS's file, allocated beside.
    real: *mut ffi::sqlite3_file,
    real_size: usize,
    /// The path of a database, WAL or journal (whose writes are held);
    /// `None` for files passed straight through.
    path: Option<String>,
}

const REAL_ALIGN: usize = 16;

unsafe fn file<'a>(f: *mut ffi::sqlite3_file) -> &'a File {
    // SAFETY: SQLite passes back the file x_open initialised.
    unsafe { &*(f as *mut File) }
}

unsafe fn real_methods(f: &File) -> &ffi::sqlite3_io_methods {
    // SAFETY: the real file was opened successfully, so its methods are set.
    unsafe { &*(*f.real).pMethods }
}

macro_rules! call {
    ($f:expr, $method:ident $(, $arg:expr)*) => {{
        let f = $f;
        // SAFETY: every method of the unix VFS's io_methods is set.
        unsafe { (real_methods(f).$method.expect(stringify!($method)))(f.real $(, $arg)*) }
    }};
}

static METHODS: ffi::sqlite3_io_methods = ffi::sqlite3_io_methods {
    iVersion: 2,
    xClose: Some(x_close),
    xRead: Some(x_read),
    xWrite: Some(x_write),
    xTruncate: Some(x_truncate),
    xSync: Some(x_sync),
    xFileSize: Some(x_file_size),
    xLock: Some(x_lock),
    xUnlock: Some(x_unlock),
    xCheckReservedLock: Some(x_check_reserved_lock),
    xFileControl: Some(x_file_control),
    xSectorSize: Some(x_sector_size),
    xDeviceCharacteristics: Some(x_device_characteristics),
    xShmMap: Some(x_shm_map),
    xShmLock: Some(x_shm_lock),
    xShmBarrier: Some(x_shm_barrier),
    xShmUnmap: Some(x_shm_unmap),
    xFetch: None,
    xUnfetch: None,
};

unsafe extern "C" fn x_open(
    _vfs: *mut ffi::sqlite3_vfs,
    name: ffi::sqlite3_filename,
    f: *mut ffi::sqlite3_file,
    flags: c_int,
    out_flags: *mut c_int,
) -> c_int {
    let g = global();
    // SAFETY: `real` is the unix VFS; the buffer is as large as it asks.
    unsafe {
        let real_size = (*g.real).szOsFile as usize;
        let layout = Layout::from_size_align_unchecked(real_size.max(1), REAL_ALIGN);
        let real = alloc_zeroed(layout) as *mut ffi::sqlite3_file;
        let rc = ((*g.real).xOpen.expect("xOpen"))(g.real, name, real, flags, out_flags);
        if rc != ffi::SQLITE_OK {
            dealloc(real as *mut u8, layout);
            (*f).pMethods = std::ptr::null();
            return rc;
        }
        let tracked = ffi::SQLITE_OPEN_MAIN_DB | ffi::SQLITE_OPEN_WAL | ffi::SQLITE_OPEN_MAIN_JOURNAL;
        let path =
            (!name.is_null() && flags & tracked != 0).then(|| CStr::from_ptr(name).to_string_lossy().into_owned());
        std::ptr::write(f as *mut File, File { base: ffi::sqlite3_file { pMethods: &METHODS }, real, real_size, path });
    }
    ffi::SQLITE_OK
}

unsafe extern "C" fn x_close(f: *mut ffi::sqlite3_file) -> c_int {
    let file = f as *mut File;
    // SAFETY: SQLite passes the file x_open initialised, and closes it once.
    let rc = call!(unsafe { &*file }, xClose);
    // SAFETY: frees the real file and drops the path, once.
    unsafe {
        dealloc((*file).real as *mut u8, Layout::from_size_align_unchecked((*file).real_size.max(1), REAL_ALIGN));
        std::ptr::drop_in_place(&mut (*file).path);
    }
    rc
}

/// The real file's size.
fn real_len(f: &File) -> Result<i64, c_int> {
    let mut size: ffi::sqlite3_int64 = 0;
    let rc = call!(f, xFileSize, &mut size);
    if rc == ffi::SQLITE_OK { Ok(size) } else { Err(rc) }
}

/// The size with the held ops applied.
fn logical_len(f: &File, ops: Option<&Vec<Op>>) -> Result<i64, c_int> {
    let mut len = real_len(f)?;
    for op in ops.into_iter().flatten() {
        len = match op {
            Op::Write(at, data) => len.max(at + data.len() as i64),
            Op::Truncate(to) => *to,
        };
    }
    Ok(len)
}

unsafe extern "C" fn x_read(f: *mut ffi::sqlite3_file, buf: *mut c_void, amt: c_int, at: ffi::sqlite3_int64) -> c_int {
    // SAFETY: SQLite passes its file and a buffer of `amt` bytes.
    let file = unsafe { file(f) };
    let Some(path) = &file.path else { return call!(file, xRead, buf, amt, at) };
    let s = state();
    if s.cut {
        return ffi::SQLITE_IOERR_READ;
    }
    let rc = call!(file, xRead, buf, amt, at);
    if rc != ffi::SQLITE_OK && rc != ffi::SQLITE_IOERR_SHORT_READ {
        return rc;
    }
    // SAFETY: the buffer SQLite passed, `amt` bytes.
    let out = unsafe { std::slice::from_raw_parts_mut(buf as *mut u8, amt as usize) };
    // Bytes past the end read as zeros (the unix VFS fills them so): true
    // after every op below as well.
    let mut len = match real_len(file) {
        Ok(l) => l,
        Err(rc) => return rc,
    };
    let end = at + i64::from(amt);
    for op in s.held.get(path).into_iter().flatten() {
        match op {
            Op::Write(w, data) => {
                let (from, to) = ((*w).max(at), (w + data.len() as i64).min(end));
                if from < to {
                    out[(from - at) as usize..(to - at) as usize]
                        .copy_from_slice(&data[(from - w) as usize..(to - w) as usize]);
                }
                len = len.max(w + data.len() as i64);
            }
            Op::Truncate(to) => {
                if *to < end {
                    out[((to - at).max(0)) as usize..].fill(0);
                }
                len = *to;
            }
        }
    }
    if end > len {
        let from = ((len - at).max(0) as usize).min(out.len());
        out[from..].fill(0);
        return ffi::SQLITE_IOERR_SHORT_READ;
    }
    ffi::SQLITE_OK
}

unsafe extern "C" fn x_write(
    f: *mut ffi::sqlite3_file,
    buf: *const c_void,
    amt: c_int,
    at: ffi::sqlite3_int64,
) -> c_int {
    // SAFETY: SQLite passes its file and `amt` bytes.
    let file = unsafe { file(f) };
    let Some(path) = &file.path else { return call!(file, xWrite, buf, amt, at) };
    let mut s = state();
    if s.cut || strikes(&mut s) {
        return ffi::SQLITE_IOERR_WRITE;
    }
    // SAFETY: as above.
    let data = unsafe { std::slice::from_raw_parts(buf as *const u8, amt as usize) }.to_vec();
    s.held.entry(path.clone()).or_default().push(Op::Write(at, data));
    ffi::SQLITE_OK
}

unsafe extern "C" fn x_truncate(f: *mut ffi::sqlite3_file, size: ffi::sqlite3_int64) -> c_int {
    // SAFETY: SQLite passes its file.
    let file = unsafe { file(f) };
    let Some(path) = &file.path else { return call!(file, xTruncate, size) };
    let mut s = state();
    if s.cut || strikes(&mut s) {
        return ffi::SQLITE_IOERR_TRUNCATE;
    }
    s.held.entry(path.clone()).or_default().push(Op::Truncate(size));
    ffi::SQLITE_OK
}

unsafe extern "C" fn x_sync(f: *mut ffi::sqlite3_file, flags: c_int) -> c_int {
    // SAFETY: SQLite passes its file.
    let file = unsafe { file(f) };
    let Some(path) = &file.path else { return call!(file, xSync, flags) };
    let mut s = state();
    if s.cut || strikes(&mut s) {
        return ffi::SQLITE_IOERR_FSYNC;
    }
    if !s.defer
        && let Some(ops) = s.held.remove(path)
    {
        // The real fsync adds nothing here: only the simulated power fails.
        apply(path, ops.iter());
    }
    ffi::SQLITE_OK
}

unsafe extern "C" fn x_file_size(f: *mut ffi::sqlite3_file, out: *mut ffi::sqlite3_int64) -> c_int {
    // SAFETY: SQLite passes its file and a place for the size.
    let file = unsafe { file(f) };
    let Some(path) = &file.path else { return call!(file, xFileSize, out) };
    let s = state();
    if s.cut {
        return ffi::SQLITE_IOERR_FSTAT;
    }
    match logical_len(file, s.held.get(path)) {
        Ok(len) => {
            // SAFETY: as above.
            unsafe { *out = len };
            ffi::SQLITE_OK
        }
        Err(rc) => rc,
    }
}

unsafe extern "C" fn x_lock(f: *mut ffi::sqlite3_file, level: c_int) -> c_int {
    call!(unsafe { file(f) }, xLock, level)
}

unsafe extern "C" fn x_unlock(f: *mut ffi::sqlite3_file, level: c_int) -> c_int {
    call!(unsafe { file(f) }, xUnlock, level)
}

unsafe extern "C" fn x_check_reserved_lock(f: *mut ffi::sqlite3_file, out: *mut c_int) -> c_int {
    call!(unsafe { file(f) }, xCheckReservedLock, out)
}

unsafe extern "C" fn x_file_control(f: *mut ffi::sqlite3_file, op: c_int, arg: *mut c_void) -> c_int {
    let file = unsafe { file(f) };
    // Size hints would grow the real file behind the held writes' back.
    if file.path.is_some() && (op == ffi::SQLITE_FCNTL_SIZE_HINT || op == ffi::SQLITE_FCNTL_CHUNK_SIZE) {
        return ffi::SQLITE_OK;
    }
    call!(file, xFileControl, op, arg)
}

unsafe extern "C" fn x_sector_size(f: *mut ffi::sqlite3_file) -> c_int {
    call!(unsafe { file(f) }, xSectorSize)
}

unsafe extern "C" fn x_device_characteristics(f: *mut ffi::sqlite3_file) -> c_int {
    call!(unsafe { file(f) }, xDeviceCharacteristics)
}

unsafe extern "C" fn x_shm_map(
    f: *mut ffi::sqlite3_file,
    page: c_int,
    size: c_int,
    extend: c_int,
    out: *mut *mut c_void,
) -> c_int {
    call!(unsafe { file(f) }, xShmMap, page, size, extend, out)
}

unsafe extern "C" fn x_shm_lock(f: *mut ffi::sqlite3_file, offset: c_int, n: c_int, flags: c_int) -> c_int {
    call!(unsafe { file(f) }, xShmLock, offset, n, flags)
}

unsafe extern "C" fn x_shm_barrier(f: *mut ffi::sqlite3_file) {
    call!(unsafe { file(f) }, xShmBarrier)
}

unsafe extern "C" fn x_shm_unmap(f: *mut ffi::sqlite3_file, delete: c_int) -> c_int {
    call!(unsafe { file(f) }, xShmUnmap, delete)
}

unsafe extern "C" fn x_delete(_vfs: *mut ffi::sqlite3_vfs, name: *const c_char, sync_dir: c_int) -> c_int {
    let g = global();
    {
        let mut s = state();
        if s.cut {
            return ffi::SQLITE_IOERR_DELETE;
        }
        if !name.is_null() {
            // SAFETY: SQLite passes a file name.
            let path = unsafe { CStr::from_ptr(name) }.to_string_lossy().into_owned();
            s.held.remove(&path);
        }
    }
    // SAFETY: delegated to the unix VFS.
    unsafe { ((*g.real).xDelete.expect("xDelete"))(g.real, name, sync_dir) }
}

unsafe extern "C" fn x_access(
    _vfs: *mut ffi::sqlite3_vfs,
    name: *const c_char,
    flags: c_int,
    out: *mut c_int,
) -> c_int {
    let g = global();
    // SAFETY: delegated to the unix VFS.
    unsafe { ((*g.real).xAccess.expect("xAccess"))(g.real, name, flags, out) }
}

unsafe extern "C" fn x_full_pathname(
    _vfs: *mut ffi::sqlite3_vfs,
    name: *const c_char,
    n: c_int,
    out: *mut c_char,
) -> c_int {
    let g = global();
    // SAFETY: delegated to the unix VFS.
    unsafe { ((*g.real).xFullPathname.expect("xFullPathname"))(g.real, name, n, out) }
}

unsafe extern "C" fn x_randomness(_vfs: *mut ffi::sqlite3_vfs, n: c_int, out: *mut c_char) -> c_int {
    let g = global();
    // SAFETY: delegated to the unix VFS.
    unsafe { ((*g.real).xRandomness.expect("xRandomness"))(g.real, n, out) }
}

unsafe extern "C" fn x_sleep(_vfs: *mut ffi::sqlite3_vfs, micros: c_int) -> c_int {
    let g = global();
    // SAFETY: delegated to the unix VFS.
    unsafe { ((*g.real).xSleep.expect("xSleep"))(g.real, micros) }
}

unsafe extern "C" fn x_current_time(_vfs: *mut ffi::sqlite3_vfs, out: *mut f64) -> c_int {
    let g = global();
    // SAFETY: delegated to the unix VFS.
    unsafe { ((*g.real).xCurrentTime.expect("xCurrentTime"))(g.real, out) }
}

unsafe extern "C" fn x_get_last_error(_vfs: *mut ffi::sqlite3_vfs, n: c_int, out: *mut c_char) -> c_int {
    let g = global();
    // SAFETY: delegated to the unix VFS.
    unsafe { ((*g.real).xGetLastError.expect("xGetLastError"))(g.real, n, out) }
}

unsafe extern "C" fn x_current_time_int64(_vfs: *mut ffi::sqlite3_vfs, out: *mut ffi::sqlite3_int64) -> c_int {
    let g = global();
    // SAFETY: delegated to the unix VFS.
    unsafe { ((*g.real).xCurrentTimeInt64.expect("xCurrentTimeInt64"))(g.real, out) }
}
