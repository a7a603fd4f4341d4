use super::tcp::HelloRewriter;
use super::*;

fn hello_reply(port: u64) -> [u8; FRAME_LEN] {
    Frame::reply(Kind::Hello, 1, port).encode()
}

#[test]
fn hello_replies_are_rewritten_even_when_split() {
    let mut stream = Vec::new();
    stream.extend_from_slice(&hello_reply(5000));
    stream.extend_from_slice(&Frame::reply(Kind::Echo, 2, 5000).encode());
    stream.extend_from_slice(&hello_reply(5000));
    // Every split point, including one inside each header.
    for cut in 0..=stream.len() {
        let mut rewriter = HelloRewriter::new(7);
        let mut out = rewriter.feed(&stream[..cut]);
        out.extend(rewriter.feed(&stream[cut..]));
        assert!(rewriter.finish().is_empty());
        let frames: Vec<Frame> = out.chunks(FRAME_LEN).map(|c| Frame::decode(c).unwrap()).collect();
        assert_eq!(frames.iter().map(|f| f.arg).collect::<Vec<_>>(), [7, 5000, 7], "cut at {cut}");
        assert_eq!(frames[1], Frame::reply(Kind::Echo, 2, 5000));
    }
}

#[test]
fn download_payload_and_foreign_bytes_pass_untouched() {
    // A payload that happens to hold a hello reply is payload, not a reply.
    let mut stream = Frame::reply(Kind::Download, 3, FRAME_LEN as u64).encode().to_vec();
    stream.extend_from_slice(&hello_reply(5000));
    stream.extend_from_slice(&hello_reply(5000));
    let mut rewriter = HelloRewriter::new(7);
    let out = rewriter.feed(&stream);
    assert_eq!(out[..2 * FRAME_LEN], stream[..2 * FRAME_LEN]);
    assert_eq!(Frame::decode(&out[2 * FRAME_LEN..]).unwrap().arg, 7);

    // Another version: everything after passes as it is, hello-looking or not.
    let mut other = Frame { version: VERSION + 1, ..Frame::reply(Kind::Hello, 1, 5000) }.encode().to_vec();
    other.extend_from_slice(&hello_reply(5000));
    assert_eq!(HelloRewriter::new(7).feed(&other), other);
    // Not the protocol at all, and a stream that ends inside a header.
    assert_eq!(HelloRewriter::new(7).feed(b"HTTP/1.1 400 Bad\r\n\r\n"), b"HTTP/1.1 400 Bad\r\n\r\n");
    let mut cut = HelloRewriter::new(7);
    assert!(cut.feed(&hello_reply(5000)[..5]).is_empty());
    assert_eq!(cut.finish(), hello_reply(5000)[..5]);
}

#[test]
fn loss_draws_follow_the_seed_and_the_rate() {
    let pattern = |seed| {
        let leg = Leg::new(0.25, seed);
        (0..2_000).map(|_| leg.drops()).collect::<Vec<bool>>()
    };
    assert_eq!(pattern(11), pattern(11));
    assert_ne!(pattern(11), pattern(12));
    // 2,000 draws at 25%: sd = sqrt(2000 x 0.25 x 0.75) = 19.4; +-100 is over 5 sd.
    let dropped = pattern(11).iter().filter(|&&d| d).count();
    assert!(dropped.abs_diff(500) <= 100, "{dropped} of 2000 dropped at 25%");
    let never = Leg::new(0.0, 1);
    let always = Leg::new(1.0, 1);
    assert!((0..1_000).all(|_| !never.drops() && always.drops()));
    assert_eq!((never.snapshot().udp_dropped, always.snapshot().udp_dropped), (0, 1_000));
}

#[test]
fn a_burst_is_delayed_once_not_once_per_item() {
    let delay = Duration::from_millis(50);
    let (queue, deliveries) = mpsc::sync_channel(1_000);
    let start = Instant::now();
    for i in 0..200 {
        queue.send(Timed::after(delay, i)).unwrap();
    }
    drop(queue);
    let stop = AtomicBool::new(false);
    let mut released = Vec::new();
    run_delay_line(deliveries, &stop, |i| {
        released.push((i, start.elapsed()));
        true
    });
    assert_eq!(released.iter().map(|&(i, _)| i).collect::<Vec<_>>(), (0..200).collect::<Vec<_>>());
    assert!(released.iter().all(|&(_, at)| at >= delay), "released before its delay");
    // Serialised, 200 items would take 10 s; 1 s leaves room for a loaded machine.
    let last = released[199].1;
    assert!(last < Duration::from_secs(1), "the burst took {last:?}");
}

#[test]
fn a_stop_ends_a_waiting_delay_line() {
    let (queue, deliveries) = mpsc::sync_channel(1);
    queue.send(Timed::after(Duration::from_secs(3_600), ())).unwrap();
    let stop = AtomicBool::new(true);
    let mut delivered = false;
    run_delay_line(deliveries, &stop, |()| {
        delivered = true;
        true
    });
    assert!(!delivered);
}

#[test]
fn impossible_probabilities_are_refused_by_name() {
    for (to_worker, to_client) in [(-0.1, 0.0), (0.0, 1.5), (f64::NAN, 0.0)] {
        let impairment = Impairment { loss_to_worker: to_worker, loss_to_client: to_client, ..Impairment::default() };
        let err = impairment.validate().unwrap_err();
        assert!(matches!(err, ImpairmentError::InvalidLoss { .. }), "{err}");
    }
    let fine = Impairment { loss_to_worker: 0.025, loss_to_client: 0.025, ..Impairment::default() };
    assert!(fine.validate().is_ok());
    assert!((fine.round_trip_loss() - 0.049_375).abs() < 1e-12);
}
