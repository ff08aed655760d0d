//! SIGKILL at random moments: a child process (this test binary again,
//! told by the environment what to be) writes and acknowledges each commit
//! to this process over a pipe, in lockstep (it waits for a go byte after
//! each acknowledgement). This process picks a write to stop at, then
//! kills the child either at once (the child is between two writes) or
//! after letting it go on for a random 0 to 3 ms (a kill in the middle of
//! the next write, its commit included). Then `PRAGMA integrity_check` and
//! every acknowledged write, of this and all earlier rounds, looked up.
//!
//! The hub: the child runs the hub's embedded storage (`SqliteBackend`)
//! and answers the sync frames of three tablets that live in this process;
//! an activity is acknowledged when a sync session that started after it
//! was logged has finished. The kill lands right after such an answer or
//! in the middle of a session.
//!
//! Negative controls: a device child that acknowledges a write before it
//! issues it, and a hub child whose storage holds its writes in memory
//! (the `powercut` VFS, syncs held back) and puts them into the file only
//! when the next session begins, that is after it has answered. Both must
//! be caught losing acknowledged writes: a kill "at once" lands in their
//! window every time.

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Read, Write as _};
use std::path::Path;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::Duration;

use onsite_core::sample::Rng;
use onsite_core::{Store, StoreKey, Synchronous};
use onsite_hub::sqlite::SqliteBackend;

use crate::common::{self, Write};
use crate::vfs;

const CHILD: &str = "ONSITE_DURABILITY_CHILD";
/// Kills per run of the device harness and of the hub harness.
const DEVICE_KILLS: u64 = 200;
const HUB_KILLS: u64 = 100;
/// Kills of each negative control.
const CONTROL_KILLS: u64 = 30;

fn spawn(test: &str, env: &[(&str, String)]) -> Child {
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    cmd.args([test, "--exact", "--nocapture", "--test-threads=1"]);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::inherit()).spawn().unwrap()
}

/// The test harness of the child prints its own lines first ("running 1
/// test"): the child's protocol starts after a line `READY`.
const READY: &str = "READY";

fn ready(out: &mut impl std::io::Write) {
    writeln!(out, "\n{READY}").unwrap();
}

fn skip_to_ready(stdout: &mut BufReader<ChildStdout>) {
    let mut line = String::new();
    loop {
        line.clear();
        assert!(stdout.read_line(&mut line).unwrap() > 0, "the child ended before it was ready");
        if line.trim_end() == READY {
            return;
        }
    }
}

fn kill(mut child: Child, round: u64) {
    let _ = child.kill(); // SIGKILL
    let status = child.wait().unwrap();
    // Killed means no exit code; a child that exited on its own failed
    // (101: a panic, its message is on stderr above).
    assert!(status.code().is_none(), "round {round}: the child ended on its own: {status}");
}

/// The device child: writes `Write::nth(round, i)` for i = 0, 1, …, each
/// acknowledged as a line "i"; waits for a byte before the next one.
fn device_child(path: &str, early: bool) {
    let key = StoreKey::from_hex(&std::env::var("ONSITE_DURABILITY_KEY").unwrap()).unwrap();
    let round = std::env::var("ONSITE_DURABILITY_ROUND").unwrap();
    let store = Store::open(path, common::options(Some(&key), Synchronous::Full, None)).unwrap();
    let mut out = std::io::stdout().lock();
    ready(&mut out);
    let mut go = [0u8];
    for i in 0.. {
        let w = Write::nth(&round, i);
        if !early {
            w.apply(&store).unwrap();
        }
        writeln!(out, "{i}").unwrap();
        out.flush().unwrap();
        if std::io::stdin().read(&mut go).unwrap() == 0 {
            return;
        }
        if early {
            w.apply(&store).unwrap();
        }
    }
}

#[derive(Debug, Default)]
struct Outcome {
    kills: u64,
    acked: u64,
    lost: u64,
    rounds_with_loss: u64,
    /// Sessions of a negative control that did not finish after its hub
    /// lost writes.
    stalled: u64,
}

fn device_harness(test: &str, kills: u64, early: bool) -> Outcome {
    let seed = common::seed(test);
    let mut rng = Rng::new(seed);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tablet.sqlite");
    let key = StoreKey::generate().unwrap();
    drop(common::new_device(&path, Some(&key)));
    let mut acked = BTreeSet::new();
    let mut out = Outcome::default();
    for round in 0..kills {
        let mut child = spawn(
            test,
            &[
                (CHILD, path.display().to_string()),
                ("ONSITE_DURABILITY_KEY", key.to_hex()),
                ("ONSITE_DURABILITY_ROUND", round.to_string()),
            ],
        );
        let mut stdin = child.stdin.take().unwrap();
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        skip_to_ready(&mut stdout);
        let mut lines = stdout.lines();
        let stop_at = rng.below(8) as u64;
        loop {
            let line = lines.next().unwrap_or_else(|| panic!("round {round}: the child stopped")).unwrap();
            let i: u64 = line.trim().parse().unwrap();
            acked.insert(Write::nth(&round.to_string(), i));
            if i < stop_at {
                stdin.write_all(b"g").unwrap();
                continue;
            }
            if rng.chance(50) {
                stdin.write_all(b"g").unwrap();
                std::thread::sleep(Duration::from_micros(rng.below(3_000) as u64));
            }
            break;
        }
        kill(child, round);
        out.kills += 1;
        let check = common::integrity(&path, Some(&key));
        assert_eq!(check, "ok", "round {round} (seed {seed}): integrity_check after SIGKILL");
        let store = Store::open(&path, common::options(Some(&key), Synchronous::Full, None)).unwrap();
        let lost = common::missing(&store, &acked);
        if !early {
            assert!(lost.is_empty(), "round {round} (seed {seed}): acknowledged writes lost after SIGKILL: {lost:?}");
        }
        out.lost += lost.len() as u64;
        out.rounds_with_loss += u64::from(!lost.is_empty());
        for w in &lost {
            acked.remove(w);
        }
    }
    out.acked = acked.len() as u64 + out.lost;
    eprintln!("{test}: {out:?}");
    out
}

#[test]
fn device_store_keeps_every_acknowledged_write_through_sigkill() {
    if let Ok(path) = std::env::var(CHILD) {
        return device_child(&path, false);
    }
    let out = device_harness("crash::device_store_keeps_every_acknowledged_write_through_sigkill", DEVICE_KILLS, false);
    assert_eq!(out.lost, 0);
    assert!(out.acked >= DEVICE_KILLS, "too few acknowledged writes to test: {out:?}");
}

#[test]
fn negative_control_device_acknowledging_before_the_commit_is_caught() {
    if let Ok(path) = std::env::var(CHILD) {
        return device_child(&path, true);
    }
    let out =
        device_harness("crash::negative_control_device_acknowledging_before_the_commit_is_caught", CONTROL_KILLS, true);
    assert!(out.lost > 0, "acknowledging before the commit lost nothing: the harness would not catch it: {out:?}");
}

/// The hub child: the embedded storage at `path`, answering frames from
/// stdin. In: `b'f'` (a session begins: answered with `b'k'`) or `b's'`,
/// the tablet's index, a u32 length and the frame. Out: u32 length and the
/// answer. `defer`: the negative control, whose writes reach the file only
/// at the next `f`.
fn hub_child(path: &str, defer: bool) {
    let devices: Vec<String> =
        std::env::var("ONSITE_DURABILITY_DEVICES").unwrap().split(',').map(str::to_string).collect();
    let scopes: Vec<_> = devices.iter().map(|d| common::scope(d)).collect();
    let vfs_name = defer.then(|| {
        drop(vfs::session(0)); // the only user in this process
        vfs::set_defer(true);
        vfs::STORE_VFS
    });
    let hub = SqliteBackend::open_with(Path::new(path), common::options(None, Synchronous::Full, vfs_name)).unwrap();
    let mut input = std::io::stdin().lock();
    let mut out = std::io::stdout().lock();
    ready(&mut out);
    out.flush().unwrap();
    loop {
        let mut kind = [0u8];
        if input.read(&mut kind).unwrap() == 0 {
            return;
        }
        if kind[0] == b'f' {
            if defer {
                vfs::flush_all();
            }
            out.write_all(b"k").unwrap();
            out.flush().unwrap();
            continue;
        }
        let mut head = [0u8; 5];
        input.read_exact(&mut head).unwrap();
        let mut frame = vec![0u8; u32::from_le_bytes(head[1..5].try_into().unwrap()) as usize];
        input.read_exact(&mut frame).unwrap();
        let answer = common::answer(&hub, &scopes[usize::from(head[0])], &frame).unwrap();
        out.write_all(&(answer.len() as u32).to_le_bytes()).unwrap();
        out.write_all(&answer).unwrap();
        out.flush().unwrap();
    }
}

struct Pipe {
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
}

impl Pipe {
    fn begin_session(&mut self) {
        self.stdin.write_all(b"f").unwrap();
        let mut k = [0u8];
        self.stdout.read_exact(&mut k).unwrap();
    }

    fn send(&mut self, tablet: usize, frame: &[u8]) {
        self.stdin.write_all(&[b's', tablet as u8]).unwrap();
        self.stdin.write_all(&(frame.len() as u32).to_le_bytes()).unwrap();
        self.stdin.write_all(frame).unwrap();
    }

    fn answer(&mut self) -> Vec<u8> {
        let mut len = [0u8; 4];
        self.stdout.read_exact(&mut len).unwrap();
        let mut answer = vec![0u8; u32::from_le_bytes(len) as usize];
        self.stdout.read_exact(&mut answer).unwrap();
        answer
    }
}

fn hub_harness(test: &str, kills: u64, defer: bool) -> Outcome {
    let seed = common::seed(test);
    let mut rng = Rng::new(seed);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hub.sqlite");
    let tablets = common::hub_world(dir.path(), 3);
    let ids: Vec<String> = tablets.iter().map(|t| t.device_id().unwrap()).collect();
    let mut pending: Vec<Vec<String>> = vec![Vec::new(); tablets.len()];
    let mut acked: BTreeSet<String> = BTreeSet::new();
    let mut out = Outcome::default();
    let mut n = 0u64;
    for round in 0..kills {
        let mut child =
            spawn(test, &[(CHILD, path.display().to_string()), ("ONSITE_DURABILITY_DEVICES", ids.join(","))]);
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        skip_to_ready(&mut stdout);
        let mut pipe = Pipe { stdin: child.stdin.take().unwrap(), stdout };
        let sessions = 1 + rng.below(3);
        let mid_session = rng.chance(50);
        'sessions: for s in 0..sessions {
            pipe.begin_session();
            let t = rng.below(tablets.len());
            for _ in 0..1 + rng.below(2) {
                let id = format!("act-hub-{n}");
                n += 1;
                tablets[t].log_activity(&common::activity(&id)).unwrap();
                pending[t].push(id);
            }
            let sent = pending[t].clone();
            let last = s + 1 == sessions;
            for trip in 0..10 {
                pipe.send(t, &tablets[t].sync_request().unwrap());
                if last && mid_session && trip == 0 {
                    // Killed while the hub works on (or has just answered) the frame.
                    std::thread::sleep(Duration::from_micros(rng.below(3_000) as u64));
                    break 'sessions;
                }
                if tablets[t].sync_apply(&pipe.answer()).unwrap().done {
                    pending[t].retain(|id| !sent.contains(id));
                    acked.extend(sent);
                    continue 'sessions;
                }
            }
            // Only after the negative control's hub forgot what it had
            // answered (the tablet's sync state and the hub's disagree).
            assert!(defer, "round {round} (seed {seed}): a session did not finish in 10 round trips");
            out.stalled += 1;
            break;
        }
        kill(child, round);
        out.kills += 1;
        let check = common::integrity(&path, None);
        assert_eq!(check, "ok", "round {round} (seed {seed}): integrity_check of the hub after SIGKILL");
        let lost = common::hub_losses(&path, &mut acked);
        if !defer {
            assert!(lost.is_empty(), "round {round} (seed {seed}): the hub lost what it had answered for: {lost:?}");
        }
        out.lost += lost.len() as u64;
        out.rounds_with_loss += u64::from(!lost.is_empty());
        // A hub that lost what it answered for cannot be synced with
        // reliably any more: the control has shown what it had to.
        if !lost.is_empty() || out.stalled > 0 {
            break;
        }
    }
    out.acked = acked.len() as u64 + out.lost;
    eprintln!("{test}: {out:?}");
    out
}

#[test]
fn hub_storage_keeps_every_answered_sync_through_sigkill() {
    if let Ok(path) = std::env::var(CHILD) {
        return hub_child(&path, false);
    }
    let out = hub_harness("crash::hub_storage_keeps_every_answered_sync_through_sigkill", HUB_KILLS, false);
    assert_eq!(out.lost, 0);
    assert!(out.acked >= HUB_KILLS, "too few answered syncs to test: {out:?}");
}

#[test]
fn negative_control_hub_answering_before_its_writes_reach_the_file_is_caught() {
    if let Ok(path) = std::env::var(CHILD) {
        return hub_child(&path, true);
    }
    let out = hub_harness(
        "crash::negative_control_hub_answering_before_its_writes_reach_the_file_is_caught",
        CONTROL_KILLS,
        true,
    );
    assert!(out.lost > 0, "answering before the writes lost nothing: the harness would not catch it: {out:?}");
}
