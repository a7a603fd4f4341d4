//! The network audit on loopback: structure, exact deterministic loss, refusals by name.
//! Impaired links are in `impairment.rs` (userspace, every machine) and `netem.rs` (root
//! and namespaces).

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::thread;
use std::time::Duration;

use io_poc::netaudit::{measure, AuditConfig, Frame, Kind, NetAuditError, ProbeServer, Refusal, Stage, FRAME_LEN, REPLY, VERSION};

fn loopback() -> SocketAddr {
    "127.0.0.1:0".parse().unwrap()
}

fn quick_config() -> AuditConfig {
    AuditConfig {
        rtt_probes: 50,
        loss_probes: 200,
        loss_interval: Duration::from_micros(200),
        reply_timeout: Duration::from_secs(2),
        bulk_bytes: 1 << 20,
        ..AuditConfig::default()
    }
}

#[test]
fn loopback_audit_has_consistent_structure() {
    let server = ProbeServer::bind(loopback()).unwrap();
    let config = quick_config();
    let report = measure(server.tcp_addr(), &config).unwrap();

    assert_eq!(report.rtt.samples, config.rtt_probes);
    assert!(report.rtt.min_us <= report.rtt.median_us);
    assert!(report.rtt.median_us <= report.rtt.p90_us);
    assert!(report.rtt.p90_us <= report.rtt.max_us);
    assert_eq!(report.rtt_us, report.rtt.median_us);

    assert_eq!(report.udp_target, server.udp_addr());
    assert_eq!(report.loss.sent, config.loss_probes);
    assert_eq!(report.loss.answered, config.loss_probes, "every probe answered on loopback: {:?}", report.loss);
    assert_eq!(report.packet_loss_bps, 0);
    let udp_rtt = report.loss.rtt.expect("answered probes have round trips");
    assert_eq!(udp_rtt.samples, config.loss_probes);
    assert!(udp_rtt.min_us <= udp_rtt.median_us && udp_rtt.median_us <= udp_rtt.p90_us);

    assert_eq!(report.download.bytes, config.bulk_bytes);
    assert_eq!(report.upload.bytes, config.bulk_bytes);
    assert!(report.download.mbps > 0 && report.upload.mbps > 0);
    assert_eq!(report.bandwidth_mbps, report.download.mbps.min(report.upload.mbps));
    assert!(report.bandwidth_mbps > 0);

    let stats = server.stats();
    assert_eq!(stats.tcp_connections, 1);
    assert_eq!(stats.udp_received, u64::from(config.loss_probes));
    assert_eq!(stats.udp_echoed, u64::from(config.loss_probes));
    assert_eq!((stats.udp_dropped, stats.refused), (0, 0));
    server.stop();
}

#[test]
fn server_answers_several_audits_and_ipv6_where_available() {
    let server = ProbeServer::bind(loopback()).unwrap();
    let config = AuditConfig { rtt_probes: 5, loss_probes: 20, bulk_bytes: 4096, ..quick_config() };
    // Two audits at once, then one more: each its own connection and nonce.
    let target = server.tcp_addr();
    let handles: Vec<_> = (0..2)
        .map(|_| {
            thread::spawn({
                let config = config.clone();
                move || measure(target, &config)
            })
        })
        .collect();
    for handle in handles {
        assert_eq!(handle.join().unwrap().unwrap().packet_loss_bps, 0);
    }
    assert_eq!(measure(target, &config).unwrap().loss.answered, 20);
    assert_eq!(server.stats().tcp_connections, 3);

    match ProbeServer::bind("[::1]:0".parse().unwrap()) {
        Ok(v6) => {
            let report = measure(v6.tcp_addr(), &config).unwrap();
            assert_eq!((report.loss.answered, report.rtt.samples), (20, 5));
        }
        Err(e) => eprintln!("no IPv6 loopback here ({e}); IPv4 only"),
    }
}

#[test]
fn dropping_every_tenth_probe_gives_exactly_ten_percent() {
    let server = ProbeServer::bind(loopback()).unwrap().with_drop_every(10);
    // A generous reply timeout: an echo delayed past it by a stalled thread would count as
    // lost and break the exact figure. Dropped probes cost this wait once per audit.
    let config = AuditConfig { reply_timeout: Duration::from_secs(1), ..quick_config() };
    let report = measure(server.tcp_addr(), &config).unwrap();
    assert_eq!(report.loss.sent, 200);
    assert_eq!(report.loss.answered, 180);
    assert_eq!(report.loss.lost(), 20);
    assert_eq!(report.packet_loss_bps, 1_000);
    assert_eq!(server.stats().udp_dropped, 20);

    // 1 in 3 of 200: probes 2, 5, ..., 197 (66 of them) -> 3,300 bps.
    let server = ProbeServer::bind(loopback()).unwrap().with_drop_every(3);
    let report = measure(server.tcp_addr(), &config).unwrap();
    assert_eq!(report.loss.lost(), 66);
    assert_eq!(report.packet_loss_bps, 3_300);

    // Every probe dropped: all lost, no UDP round trips, the TCP figures still there.
    let server = ProbeServer::bind(loopback()).unwrap().with_drop_every(1);
    let config = AuditConfig { loss_probes: 10, reply_timeout: Duration::from_millis(100), ..config };
    let report = measure(server.tcp_addr(), &config).unwrap();
    assert_eq!(report.packet_loss_bps, 10_000);
    assert_eq!(report.loss.rtt, None);
    assert_eq!(report.rtt.samples, 50);
}

/// A peer of protocol version 2: answers every frame with a version-2 reply.
fn future_peer() -> (SocketAddr, thread::JoinHandle<()>) {
    let listener = TcpListener::bind(loopback()).unwrap();
    let addr = listener.local_addr().unwrap();
    let handle = thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        let mut header = [0u8; FRAME_LEN];
        if stream.read_exact(&mut header).is_ok() {
            let request = Frame::decode(&header).unwrap();
            let reply = Frame { version: 2, kind: request.kind | REPLY, seq: request.seq, arg: 4242 };
            let _ = stream.write_all(&reply.encode());
        }
    });
    (addr, handle)
}

#[test]
fn a_peer_of_another_version_is_refused_by_name() {
    // The oracle audits a worker that speaks version 2.
    let (addr, peer) = future_peer();
    let err = measure(addr, &quick_config()).unwrap_err();
    assert!(matches!(err, NetAuditError::VersionMismatch { ours: VERSION, theirs: 2 }), "{err}");
    assert!(err.to_string().contains("version 2"), "{err}");
    peer.join().unwrap();

    // An oracle of version 2 talks to this build's server: refused, in version 1, by name.
    let server = ProbeServer::bind(loopback()).unwrap();
    let mut stream = TcpStream::connect(server.tcp_addr()).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let hello = Frame { version: 2, kind: Kind::Hello as u8, seq: 9, arg: 0 };
    stream.write_all(&hello.encode()).unwrap();
    let mut header = [0u8; FRAME_LEN];
    stream.read_exact(&mut header).unwrap();
    let refusal = Frame::decode(&header).unwrap();
    assert_eq!(refusal, Frame { version: VERSION, kind: Kind::Refused as u8, seq: 9, arg: Refusal::Version.code() });
    // ... and the connection is closed after it.
    assert_eq!(stream.read(&mut header).unwrap_or(0), 0);

    // The same over UDP.
    let udp = UdpSocket::bind(loopback()).unwrap();
    udp.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    udp.send_to(&Frame { version: 2, kind: Kind::Echo as u8, seq: 3, arg: 1 }.encode(), server.udp_addr()).unwrap();
    let mut buf = [0u8; 64];
    let (len, _) = udp.recv_from(&mut buf).unwrap();
    let refusal = Frame::decode(&buf[..len]).unwrap();
    assert_eq!((refusal.version, refusal.kind, Refusal::from_code(refusal.arg)), (VERSION, 0x7F, Refusal::Version));
    assert_eq!(server.stats().refused, 2);
}

#[test]
fn unknown_kinds_and_foreign_bytes_are_refused() {
    let server = ProbeServer::bind(loopback()).unwrap();
    let mut stream = TcpStream::connect(server.tcp_addr()).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    stream.write_all(&Frame { version: VERSION, kind: 0x42, seq: 1, arg: 0 }.encode()).unwrap();
    let mut header = [0u8; FRAME_LEN];
    stream.read_exact(&mut header).unwrap();
    assert_eq!(Refusal::from_code(Frame::decode(&header).unwrap().arg), Refusal::UnknownKind);

    // Not our magic: closed without an answer.
    let mut stream = TcpStream::connect(server.tcp_addr()).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    stream.write_all(b"GET / HTTP/1.1\r\n\r\n").unwrap();
    let mut rest = Vec::new();
    let _ = stream.read_to_end(&mut rest);
    assert!(rest.is_empty());

    // A peer that is not a probe server at all: bad magic, by name.
    let listener = TcpListener::bind(loopback()).unwrap();
    let addr = listener.local_addr().unwrap();
    let peer = thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        let mut header = [0u8; FRAME_LEN];
        let _ = stream.read_exact(&mut header);
        let _ = stream.write_all(b"HTTP/1.1 400 Bad\r\n\r\n");
    });
    let err = measure(addr, &quick_config()).unwrap_err();
    assert!(matches!(err, NetAuditError::BadMagic { got: [b'H', b'T'] }), "{err}");
    peer.join().unwrap();
}

#[test]
fn an_unreachable_target_is_named() {
    // A port nobody listens on: the listener is bound to learn a free port, then closed.
    let addr = TcpListener::bind(loopback()).unwrap().local_addr().unwrap();
    let err = measure(addr, &quick_config()).unwrap_err();
    assert!(matches!(err, NetAuditError::Unreachable { addr: a, stage: Stage::Connect, .. } if a == addr), "{err}");
    assert!(err.to_string().contains("unreachable"), "{err}");
}

#[test]
fn a_silent_peer_times_out_by_name() {
    // Accepts, reads, never answers.
    let listener = TcpListener::bind(loopback()).unwrap();
    let addr = listener.local_addr().unwrap();
    let peer = thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        let mut sink = Vec::new();
        let _ = stream.read_to_end(&mut sink);
    });
    let config = AuditConfig { io_timeout: Duration::from_millis(200), ..quick_config() };
    let err = measure(addr, &config).unwrap_err();
    assert!(matches!(err, NetAuditError::Timeout { stage: Stage::Hello, .. }), "{err}");
    drop(err);
    peer.join().unwrap();
}

#[test]
fn a_configuration_without_probes_is_refused() {
    let server = ProbeServer::bind(loopback()).unwrap();
    for config in [
        AuditConfig { rtt_probes: 0, ..quick_config() },
        AuditConfig { loss_probes: 0, ..quick_config() },
        AuditConfig { bulk_bytes: 0, ..quick_config() },
        AuditConfig { reply_timeout: Duration::ZERO, ..quick_config() },
    ] {
        assert!(matches!(measure(server.tcp_addr(), &config), Err(NetAuditError::InvalidConfig(_))));
    }
    assert_eq!(server.stats().tcp_connections, 0);
}

#[test]
fn dropping_the_server_closes_its_endpoints() {
    let server = ProbeServer::bind(loopback()).unwrap();
    let addr = server.tcp_addr();
    // An idle connection must not keep the server alive.
    let mut idle = TcpStream::connect(addr).unwrap();
    // Make sure the server has the connection (its hello answered) before dropping it.
    idle.write_all(&Frame::request(Kind::Hello, 1, 0).encode()).unwrap();
    let mut header = [0u8; FRAME_LEN];
    idle.read_exact(&mut header).unwrap();
    drop(server);
    // The drop shut the idle connection down: end of stream.
    assert_eq!(idle.read(&mut header).unwrap(), 0);
    let err = measure(addr, &quick_config()).unwrap_err();
    assert!(matches!(err, NetAuditError::Unreachable { .. }), "{err}");
}
