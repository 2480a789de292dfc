//! Start-up time and memory of the `drillbot` binary with the full bundled bank: `cargo bench --bench startup`.
//!
//! Runs `drillbot console --db <new file> --now 2026-12-01T08:00` `BENCH_RUNS` times (default 9), each in an
//! empty directory on a new database, with standard input a pipe held open. "Ready" is the first line on
//! standard output: the console's welcome, printed once the settings are read, the bundled bank parsed and
//! validated, the database created and migrated and the chat registered; the process then waits for input.
//! Its peak RSS (`VmHWM` in `/proc/<pid>/status`) is read at that moment. Then `/today` and an `/answer` go in,
//! and the time until their replies are out (the first grade builds the grader's index) and the peak RSS after
//! them are read before standard input is closed and the process exits. Prints medians (and the range); asserts
//! nothing about speed.

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use drillbot::i18n::Msg;
use drillbot::settings::ChatDefaults;

/// `VmHWM` (peak resident set) of a live process, in KiB.
fn peak_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("/proc is readable");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM in /proc/<pid>/status")
}

fn median<T: Copy + Ord>(v: &mut [T]) -> (T, T, T) {
    v.sort();
    (v[v.len() / 2], v[0], v[v.len() - 1])
}

fn main() {
    let runs: usize = std::env::var("BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(9)
        .max(1);
    // A plain-text line gets this tip, after the replies to every line before it: the end marker.
    let tip = ChatDefaults::default()
        .language
        .render(&Msg::ConsolePlainText);
    let mut ready = Vec::new();
    let mut ready_peak = Vec::new();
    let mut answered = Vec::new();
    let mut answered_peak = Vec::new();
    for _ in 0..runs {
        let dir = tempfile::tempdir().unwrap();
        let started = Instant::now();
        let mut child = Command::new(env!("CARGO_BIN_EXE_drillbot"))
            .args(["console", "--db", "start.db", "--now", "2026-12-01T08:00"])
            .current_dir(dir.path())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("drillbot starts");
        let pid = child.id();
        let mut out = BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        out.read_line(&mut line).unwrap();
        let at_ready = started.elapsed();
        assert!(!line.is_empty(), "drillbot printed nothing");
        ready.push(at_ready);
        ready_peak.push(peak_kib(pid));

        let mut stdin = child.stdin.take().unwrap();
        let sent = Instant::now();
        stdin
            .write_all(
                "/today\n/as alice\n/answer 三次握手时客户端发 SYN，服务端回 SYN+ACK，客户端再回 ACK，\
                 双方确认初始序列号，也确认彼此都能收发，还能防止历史连接请求被错误建立。\nx\n"
                    .as_bytes(),
            )
            .unwrap();
        loop {
            line.clear();
            assert!(
                out.read_line(&mut line).unwrap() > 0,
                "drillbot ended early"
            );
            if line.trim_end() == tip {
                break;
            }
        }
        answered.push(sent.elapsed());
        answered_peak.push(peak_kib(pid));
        drop(stdin);
        std::io::copy(&mut out, &mut std::io::sink()).unwrap();
        assert!(child.wait().unwrap().success());
    }
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    let mb = |k: u64| k as f64 / 1024.0;
    let (r, r_lo, r_hi) = median(&mut ready);
    let (rp, rp_lo, rp_hi) = median(&mut ready_peak);
    let (a, a_lo, a_hi) = median(&mut answered);
    let (ap, ap_lo, ap_hi) = median(&mut answered_peak);
    println!(
        "startup: ready (first line of `drillbot console`) median {:.0} ms ({:.0}-{:.0}), peak RSS {:.1} MB ({:.1}-{:.1}); {runs} runs",
        ms(r),
        ms(r_lo),
        ms(r_hi),
        mb(rp),
        mb(rp_lo),
        mb(rp_hi)
    );
    println!(
        "startup: then /today and the first /answer: median {:.0} ms ({:.0}-{:.0}), peak RSS after {:.1} MB ({:.1}-{:.1})",
        ms(a),
        ms(a_lo),
        ms(a_hi),
        mb(ap),
        mb(ap_lo),
        mb(ap_hi)
    );
}
