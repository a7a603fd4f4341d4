//! The TCP side of the proxy: accepted connections relayed through a delay line each
//! way, and the worker's hello rewritten to name the proxy's UDP port.

use super::*;

/// Where and how a relayed TCP connection goes.
#[derive(Clone, Copy)]
pub(super) struct TcpRoute {
    pub(super) worker: SocketAddr,
    /// The proxy's UDP port, written into the worker's hello replies.
    pub(super) udp_port: u16,
    pub(super) delay: Duration,
}

pub(super) fn accept_loop(listener: TcpListener, route: TcpRoute, shared: Arc<Shared>) {
    let mut next_id = 0u64;
    while !shared.stopped() {
        match listener.accept() {
            Ok((client, _peer)) => {
                // A connection the worker refuses is closed on the client, as the worker
                // itself would have.
                let _ = open_connection(client, next_id, route, &shared);
                next_id += 1;
            }
            // Nothing to accept (the listener does not block): look at the stop flag again soon.
            Err(_) => thread::sleep(POLL / 4),
        }
    }
}

/// Connects to the worker for `client` and starts relaying. The worker is dialled here
/// rather than in the connection's thread so both streams are in the table, where a
/// shutdown finds them, before anything is relayed.
fn open_connection(client: TcpStream, id: u64, route: TcpRoute, shared: &Arc<Shared>) -> io::Result<()> {
    let upstream = TcpStream::connect_timeout(&route.worker, CONNECT_TIMEOUT)?;
    for stream in [&client, &upstream] {
        stream.set_nonblocking(false)?;
        // Echoes are 16 bytes: without this Nagle would hold them back, adding to the RTT.
        stream.set_nodelay(true)?;
    }
    let (client_handle, upstream_handle) = (client.try_clone()?, upstream.try_clone()?);
    shared.tcp_connections.fetch_add(1, Ordering::Relaxed);
    let mut conns = lock(&shared.conns);
    let conn_shared = Arc::clone(shared);
    // Spawned under the table's lock: the thread removes its own entry when it ends,
    // which must come after this insertion.
    let thread = thread::Builder::new().name("impair-tcp-conn".into()).spawn(move || {
        relay_connection(client, upstream, route, &conn_shared);
        lock(&conn_shared.conns).remove(&id);
    })?;
    conns.insert(id, TcpConn { client: client_handle, upstream: upstream_handle, thread });
    Ok(())
}

/// Relays both directions until both are done (or the connection breaks).
fn relay_connection(client: TcpStream, upstream: TcpStream, route: TcpRoute, shared: &Shared) {
    let (Ok(client_reader), Ok(upstream_writer)) = (client.try_clone(), upstream.try_clone()) else {
        sever(&client, &upstream);
        return;
    };
    let to_worker = Pipe { src: client_reader, dst: upstream_writer, rewriter: None, leg: &shared.to_worker };
    let to_client = Pipe { src: upstream, dst: client, rewriter: Some(HelloRewriter::new(route.udp_port)), leg: &shared.to_client };
    thread::scope(|scope| {
        let spawned = thread::Builder::new()
            .name("impair-tcp-to-worker".into())
            .spawn_scoped(scope, move || to_worker.run(route.delay, &shared.stop));
        if spawned.is_err() {
            // Without the other direction the connection is useless: close it.
            sever(&to_client.src, &to_client.dst);
            return;
        }
        to_client.run(route.delay, &shared.stop);
    });
}

/// What a TCP reader queues for its delivery thread.
enum Segment {
    Data(Vec<u8>),
    /// The source closed its sending side: close the destination's the same way.
    End,
    /// The source failed: the connection is broken.
    Reset,
}

/// One direction of a relayed TCP connection.
struct Pipe<'a> {
    src: TcpStream,
    dst: TcpStream,
    /// Set on the worker-to-client direction.
    rewriter: Option<HelloRewriter>,
    leg: &'a Leg,
}

impl Pipe<'_> {
    /// Reads `src` on this thread and delivers to `dst` on another, `delay` later.
    fn run(self, delay: Duration, stop: &AtomicBool) {
        let Pipe { src, dst, rewriter, leg } = self;
        let (queue, deliveries) = mpsc::sync_channel(TCP_QUEUE);
        thread::scope(|scope| {
            let (src, dst) = (&src, &dst);
            let spawned = thread::Builder::new()
                .name("impair-tcp-deliver".into())
                .spawn_scoped(scope, move || deliver_stream(deliveries, src, dst, leg, stop));
            if spawned.is_err() {
                sever(src, dst);
                return;
            }
            read_stream(src, queue, delay, rewriter);
        });
    }
}

/// Reads chunks from `src` and queues each with its due time, until the end of the
/// stream, an error, or the delivery thread's end.
/// The queue is taken by value so that it closes when the reader is done.
fn read_stream(mut src: &TcpStream, queue: SyncSender<Timed<Segment>>, delay: Duration, mut rewriter: Option<HelloRewriter>) {
    let mut buf = vec![0u8; READ_CHUNK];
    let last = loop {
        let len = match src.read(&mut buf) {
            Ok(0) => break Segment::End,
            Ok(len) => len,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(_) => break Segment::Reset,
        };
        let due = Instant::now() + delay;
        let bytes = match rewriter.as_mut() {
            Some(rewriter) => rewriter.feed(&buf[..len]),
            None => buf[..len].to_vec(),
        };
        // An empty result: the start of a header, held until the rest arrives.
        if !bytes.is_empty() && queue.send(Timed { due, item: Segment::Data(bytes) }).is_err() {
            return; // the delivery thread has ended: the connection is over
        }
    };
    // A header cut short by the end of the stream goes out as it came.
    if let Some(tail) = rewriter.map(HelloRewriter::finish).filter(|tail| !tail.is_empty()) {
        let _ = queue.send(Timed::after(delay, Segment::Data(tail)));
    }
    let _ = queue.send(Timed::after(delay, last));
}

/// Writes each queued segment to `dst` when due.
fn deliver_stream(queue: Receiver<Timed<Segment>>, src: &TcpStream, mut dst: &TcpStream, leg: &Leg, stop: &AtomicBool) {
    run_delay_line(queue, stop, |segment| match segment {
        Segment::Data(bytes) => {
            if dst.write_all(&bytes).is_err() {
                // The receiver is gone: end the whole connection, which also wakes this
                // direction's reader.
                sever(src, dst);
                return false;
            }
            leg.tcp_bytes.fetch_add(bytes.len() as u64, Ordering::Relaxed);
            true
        }
        Segment::End => {
            let _ = dst.shutdown(Shutdown::Write);
            false
        }
        Segment::Reset => {
            sever(src, dst);
            false
        }
    });
}

// ---------------------------------------------------------------------------------------
// The hello rewrite.
// ---------------------------------------------------------------------------------------

/// Follows the worker-to-client byte stream frame by frame and writes the proxy's UDP port
/// into every hello reply. The stream is a sequence of reply headers, a download reply
/// being followed by its `arg` payload bytes; a header of another version or without the
/// magic cannot be followed further, and from there everything passes untouched, so the
/// client sees exactly what the worker sent and names the problem itself.
pub(super) struct HelloRewriter {
    udp_port: u16,
    state: ReplyStream,
}

enum ReplyStream {
    /// Collecting a header: only whole headers are passed on, so one split across reads
    /// is still rewritten.
    Header { bytes: [u8; FRAME_LEN], filled: usize },
    /// Inside a download's payload.
    Payload { left: u64 },
    /// Not followed any more.
    Opaque,
}

impl ReplyStream {
    fn header() -> Self {
        ReplyStream::Header { bytes: [0; FRAME_LEN], filled: 0 }
    }
}

impl HelloRewriter {
    pub(super) fn new(udp_port: u16) -> Self {
        HelloRewriter { udp_port, state: ReplyStream::header() }
    }

    /// The bytes to pass on for `input` (a header's start is held back).
    pub(super) fn feed(&mut self, mut input: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(input.len() + FRAME_LEN);
        while !input.is_empty() {
            input = self.step(input, &mut out);
        }
        out
    }

    /// Consumes what the current state takes of `input`; returns the rest.
    fn step<'a>(&mut self, input: &'a [u8], out: &mut Vec<u8>) -> &'a [u8] {
        match &mut self.state {
            ReplyStream::Opaque => {
                out.extend_from_slice(input);
                &[]
            }
            ReplyStream::Payload { left } => {
                let take = usize::try_from(*left).unwrap_or(usize::MAX).min(input.len());
                out.extend_from_slice(&input[..take]);
                *left -= take as u64;
                if *left == 0 {
                    self.state = ReplyStream::header();
                }
                &input[take..]
            }
            ReplyStream::Header { bytes, filled } => {
                let take = (FRAME_LEN - *filled).min(input.len());
                bytes[*filled..*filled + take].copy_from_slice(&input[..take]);
                *filled += take;
                if *filled == FRAME_LEN {
                    let header = *bytes;
                    self.state = self.pass_header(header, out);
                }
                &input[take..]
            }
        }
    }

    /// Passes a whole header on (rewritten if it is a hello reply); returns what follows it.
    fn pass_header(&self, header: [u8; FRAME_LEN], out: &mut Vec<u8>) -> ReplyStream {
        let frame = match Frame::decode(&header) {
            Ok(frame) if frame.version == VERSION => frame,
            _ => {
                out.extend_from_slice(&header);
                return ReplyStream::Opaque;
            }
        };
        if frame.kind == Kind::Hello as u8 | REPLY {
            out.extend_from_slice(&Frame { arg: u64::from(self.udp_port), ..frame }.encode());
            return ReplyStream::header();
        }
        out.extend_from_slice(&header);
        if frame.kind == Kind::Download as u8 | REPLY && frame.arg > 0 {
            ReplyStream::Payload { left: frame.arg }
        } else {
            ReplyStream::header()
        }
    }

    /// What is still held back: the start of a header the stream ended in.
    pub(super) fn finish(self) -> Vec<u8> {
        match self.state {
            ReplyStream::Header { bytes, filled } => bytes[..filled].to_vec(),
            ReplyStream::Payload { .. } | ReplyStream::Opaque => Vec::new(),
        }
    }
}

/// The proxy's own hello to the worker: the worker's UDP port.
pub(super) fn learn_udp_port(worker: SocketAddr) -> Result<u16, NetAuditError> {
    let stage = Stage::Hello;
    let mut stream = TcpStream::connect_timeout(&worker, CONNECT_TIMEOUT).map_err(|source| NetAuditError::Unreachable {
        addr: worker,
        stage,
        source,
    })?;
    let io_err = |source: io::Error| match source.kind() {
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut => NetAuditError::Timeout { addr: worker, stage, after: CONNECT_TIMEOUT },
        io::ErrorKind::UnexpectedEof | io::ErrorKind::ConnectionReset => NetAuditError::Closed { addr: worker, stage },
        _ => NetAuditError::Io { addr: worker, stage, source },
    };
    stream.set_read_timeout(Some(CONNECT_TIMEOUT)).map_err(io_err)?;
    stream.write_all(&Frame::request(Kind::Hello, 1, 0).encode()).map_err(io_err)?;
    let mut header = [0u8; FRAME_LEN];
    stream.read_exact(&mut header).map_err(io_err)?;
    let reply = Frame::decode(&header)?;
    if reply.version != VERSION {
        return Err(NetAuditError::VersionMismatch { ours: VERSION, theirs: reply.version });
    }
    if reply.kind != Kind::Hello as u8 | REPLY {
        let detail = format!("expected a hello reply, got kind {:#04x}", reply.kind);
        return Err(NetAuditError::Protocol { stage, detail });
    }
    u16::try_from(reply.arg)
        .ok()
        .filter(|&port| port != 0)
        .ok_or_else(|| NetAuditError::Protocol { stage, detail: format!("UDP port {} out of range", reply.arg) })
}
