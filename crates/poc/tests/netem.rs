//! The oracle's network audit across a netem-impaired veth link between two network
//! namespaces (root only; it prints `SKIPPED:` with the reason where the machine forbids
//! it).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use io_poc::netaudit::{measure, AuditConfig, ProbeServer};

/// netem on the client's veth (its egress): every packet from the oracle side is delayed
/// by this much and dropped with `NETEM_LOSS_PERCENT`; the worker side is not impaired.
/// Expected: TCP RTT median = the delay (plus the veth's own few microseconds), UDP loss =
/// the loss rate (a lost probe or a lost echo both count; only probes can be lost here).
const NETEM_DELAY_MS: u32 = 20;
const NETEM_LOSS_PERCENT: u32 = 5;
/// RTT tolerance: 25% of the delay plus 2 ms (scheduling, timer slack) -> 13..=27 ms.
const RTT_TOLERANCE_US: u32 = NETEM_DELAY_MS * 1000 / 4 + 2_000;
/// Loss: 1,000 probes at p = 5% -> sd = sqrt(1000 x 0.05 x 0.95) = 6.9 probes (69 bps);
/// 500 +- 300 bps is more than 4 standard deviations (failure odds below 1 in 10^4).
const NETEM_PROBES: u32 = 1_000;
const LOSS_TOLERANCE_BPS: u32 = 300;

const ROLE_ENV: &str = "IO_POC_NETEM_ROLE";
const READY: &str = "NETAUDIT_READY";
const REPORT: &str = "NETAUDIT_REPORT";
const ADDR_ENV: &str = "IO_POC_NETEM_ADDR";
const SERVER_IP: &str = "10.213.0.1";
const CLIENT_IP: &str = "10.213.0.2";
const PORT: u16 = 47_123;

fn netem_config() -> AuditConfig {
    AuditConfig {
        rtt_probes: 100,
        loss_probes: NETEM_PROBES,
        loss_interval: Duration::from_millis(1),
        reply_timeout: Duration::from_secs(1),
        bulk_bytes: 256 << 10,
        io_timeout: Duration::from_secs(10),
        ..AuditConfig::default()
    }
}

/// Not a test of its own: the body of the helper processes the netem test starts inside
/// the namespaces (`ip netns exec <ns> <this test binary> netem_helper --exact`). Without
/// the role variable it does nothing.
#[test]
fn netem_helper() {
    let Ok(role) = std::env::var(ROLE_ENV) else { return };
    let addr: SocketAddr = std::env::var(ADDR_ENV).expect("address").parse().expect("socket address");
    match role.as_str() {
        "server" => {
            let server = ProbeServer::bind(addr).expect("bind the probe server in its namespace");
            // On a line of its own: the harness has printed "test netem_helper ... " already.
            println!("\n{READY} {} {}", server.tcp_addr(), server.udp_addr());
            std::io::stdout().flush().unwrap();
            // Serve until the parent closes our stdin (or dies).
            let _ = std::io::stdin().read_to_end(&mut Vec::new());
            server.stop();
        }
        "client" => {
            let report = measure(addr, &netem_config()).expect("audit across the impaired link");
            println!(
                "\n{REPORT} {} {} {} {} {} {} {} {}",
                report.rtt.min_us,
                report.rtt.median_us,
                report.rtt.p90_us,
                report.packet_loss_bps,
                report.loss.sent,
                report.loss.answered,
                report.loss.rtt.map_or(0, |r| r.median_us),
                report.bandwidth_mbps,
            );
        }
        other => panic!("unknown role {other}"),
    }
}

/// Namespaces and links this run created; removed on drop, panic or not.
#[derive(Default)]
struct Cleanup {
    namespaces: Vec<String>,
    root_links: Vec<String>,
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        for link in &self.root_links {
            let _ = Command::new("ip").args(["link", "del", link]).stderr(Stdio::null()).status();
        }
        // Deleting a namespace deletes the veth end inside it (and so its peer).
        for ns in &self.namespaces {
            let status = Command::new("ip").args(["netns", "del", ns]).status();
            if !matches!(status, Ok(s) if s.success()) {
                eprintln!("warning: could not delete network namespace {ns}");
            }
        }
    }
}

/// A helper process, killed on drop.
struct Helper(Child);

impl Drop for Helper {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Runs `ip`/`tc` with `args`; Err(its complaint) on failure.
fn run(program: &str, args: &[&str]) -> Result<(), String> {
    let out = Command::new(program).args(args).output().map_err(|e| format!("cannot run `{program}`: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!("`{program} {}` failed: {}", args.join(" "), String::from_utf8_lossy(&out.stderr).trim()))
    }
}

/// Builds the impaired link; Err(why) where the machine forbids a step (that is a skip).
fn setup_link(cleanup: &mut Cleanup, server_ns: &str, client_ns: &str, tag: &str) -> Result<(), String> {
    let (server_if, client_if) = (format!("na{tag}s"), format!("na{tag}c"));
    for ns in [server_ns, client_ns] {
        run("ip", &["netns", "add", ns])?;
        cleanup.namespaces.push(ns.to_string());
    }
    run("ip", &["link", "add", &server_if, "type", "veth", "peer", "name", &client_if])?;
    cleanup.root_links.push(server_if.clone());
    run("ip", &["link", "set", &server_if, "netns", server_ns])?;
    run("ip", &["link", "set", &client_if, "netns", client_ns])?;
    cleanup.root_links.clear(); // both ends live in the namespaces now
    for (ns, dev, ip) in [(server_ns, &server_if, SERVER_IP), (client_ns, &client_if, CLIENT_IP)] {
        run("ip", &["-n", ns, "addr", "add", &format!("{ip}/24"), "dev", dev])?;
        run("ip", &["-n", ns, "link", "set", dev, "up"])?;
        run("ip", &["-n", ns, "link", "set", "lo", "up"])?;
    }
    let delay = format!("{NETEM_DELAY_MS}ms");
    let loss = format!("{NETEM_LOSS_PERCENT}%");
    run("ip", &["netns", "exec", client_ns, "tc", "qdisc", "add", "dev", &client_if, "root", "netem", "delay", &delay, "loss", &loss])?;
    Ok(())
}

fn helper(ns: &str, role: &str, addr: &str) -> Command {
    let exe = std::env::current_exe().expect("test binary path");
    let mut cmd = Command::new("ip");
    cmd.args(["netns", "exec", ns])
        .arg(exe)
        .args(["netem_helper", "--exact", "--nocapture", "--test-threads=1"])
        .env(ROLE_ENV, role)
        .env(ADDR_ENV, addr);
    cmd
}

#[test]
fn netem_delay_and_loss_are_measured_within_tolerance() {
    if std::env::var(ROLE_ENV).is_ok() {
        return; // inside a helper process
    }
    let tag = std::process::id().to_string();
    let (server_ns, client_ns) = (format!("ionetaudit-{tag}-s"), format!("ionetaudit-{tag}-c"));
    let mut cleanup = Cleanup::default();
    if let Err(why) = setup_link(&mut cleanup, &server_ns, &client_ns, &tag) {
        // Straight to stderr (not eprintln!, which the test harness captures): a skip must show.
        let _ = writeln!(std::io::stderr(), "SKIPPED: netem network audit: the machine forbids the impaired link: {why}");
        return;
    }

    let server_addr = format!("{SERVER_IP}:{PORT}");
    let mut server = Helper(
        helper(&server_ns, "server", &server_addr)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("start the probe server in its namespace"),
    );
    // Wait for the server's ready line, at most 60 s (a thread reads its output).
    let stdout = server.0.stdout.take().unwrap();
    let (ready_tx, ready_rx) = mpsc::channel();
    thread::spawn(move || {
        let mut ready_tx = Some(ready_tx);
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if line.contains(READY) {
                if let Some(tx) = ready_tx.take() {
                    let _ = tx.send(line);
                }
            }
        }
    });
    assert!(ready_rx.recv_timeout(Duration::from_secs(60)).is_ok(), "the probe server did not start in {server_ns}");

    let client = helper(&client_ns, "client", &server_addr).stdout(Stdio::piped()).spawn().expect("start the audit in its namespace");
    let mut client = Helper(client);
    let deadline = Instant::now() + Duration::from_secs(120);
    while client.0.try_wait().unwrap().is_none() {
        assert!(Instant::now() < deadline, "the audit across the impaired link did not finish in 120 s");
        thread::sleep(Duration::from_millis(50));
    }
    let mut out = String::new();
    client.0.stdout.take().unwrap().read_to_string(&mut out).unwrap();
    assert!(client.0.wait().unwrap().success(), "the audit failed:\n{out}");
    let line = out.lines().find_map(|l| l.find(REPORT).map(|at| &l[at + REPORT.len()..])).expect("a report line");
    let f: Vec<u32> = line.split_whitespace().map(|x| x.parse().unwrap()).collect();
    let (min_us, median_us, p90_us, loss_bps, sent, answered, udp_median_us, mbps) = (f[0], f[1], f[2], f[3], f[4], f[5], f[6], f[7]);
    let _ = writeln!(
        std::io::stderr(),
        "netem delay {NETEM_DELAY_MS} ms loss {NETEM_LOSS_PERCENT}%: rtt min/median/p90 {min_us}/{median_us}/{p90_us} us, \
         udp median {udp_median_us} us, loss {loss_bps} bps ({answered}/{sent} answered), bandwidth {mbps} Mbps"
    );

    let expected_rtt = NETEM_DELAY_MS * 1000;
    assert!(
        median_us.abs_diff(expected_rtt) <= RTT_TOLERANCE_US,
        "median RTT {median_us} us, expected {expected_rtt} +- {RTT_TOLERANCE_US} us"
    );
    let expected_loss = NETEM_LOSS_PERCENT * 100;
    assert_eq!(sent, NETEM_PROBES);
    assert!(
        loss_bps.abs_diff(expected_loss) <= LOSS_TOLERANCE_BPS,
        "loss {loss_bps} bps, expected {expected_loss} +- {LOSS_TOLERANCE_BPS} bps"
    );
    assert!(min_us <= median_us && median_us <= p90_us && mbps > 0);
    drop(server); // before the namespaces go
    drop(cleanup);
}
