//! One timed window for the audits of nodes that could be the same hardware (one
//! operator's nodes, nodes behind one address, nodes claiming the same GPUs): each audit's
//! stress test starts only once every audit of the group still running has loaded its
//! challenges, so one set of GPUs cannot answer for two nodes one after the other.

use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

/// (audits still in the group, audits at the window).
type Count = (usize, usize);

/// The shared window of one group of audits; hand each audit a [`WindowTicket`].
pub struct SharedWindow {
    count: watch::Sender<Count>,
}

impl SharedWindow {
    /// A window for `members` audits, and one ticket for each.
    pub fn tickets(members: usize, limit: Duration) -> Vec<WindowTicket> {
        let window = Arc::new(SharedWindow { count: watch::Sender::new((members, 0)) });
        (0..members).map(|_| WindowTicket { window: window.clone(), arrived: false, limit }).collect()
    }
}

/// One audit's place in a shared window. Dropped before it reaches the window (its audit
/// failed earlier), it leaves the group, so the others do not wait for it.
pub struct WindowTicket {
    window: Arc<SharedWindow>,
    arrived: bool,
    /// The longest an audit waits for the others (a worker that hangs in loading must not
    /// hold up the group beyond the call timeout).
    limit: Duration,
}

impl WindowTicket {
    /// Waits until every audit still in the group is at the window (or `limit` passed).
    pub async fn open(&mut self) {
        if !self.arrived {
            self.arrived = true;
            self.window.count.send_modify(|(_, at)| *at += 1);
        }
        let mut count = self.window.count.subscribe();
        let _ = tokio::time::timeout(self.limit, count.wait_for(|(members, at)| at >= members)).await;
    }
}

impl Drop for WindowTicket {
    fn drop(&mut self) {
        if !self.arrived {
            self.window.count.send_modify(|(members, _)| *members = members.saturating_sub(1));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;

    #[tokio::test]
    async fn the_window_opens_when_the_last_member_arrives_and_a_member_that_fails_leaves() {
        let mut tickets = SharedWindow::tickets(3, Duration::from_secs(30));
        let (a, b, c) = (tickets.remove(0), tickets.remove(0), tickets.remove(0));
        let started = Instant::now();
        let early = tokio::spawn(async move {
            let mut a = a;
            a.open().await;
            started.elapsed()
        });
        tokio::time::sleep(Duration::from_millis(200)).await;
        // One audit fails before its stress test: it leaves the group.
        drop(c);
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert!(!early.is_finished(), "the first audit waits for the second");
        let mut b = b;
        b.open().await;
        let waited = early.await.unwrap();
        assert!(waited >= Duration::from_millis(400), "opened after {waited:?}");
    }

    #[tokio::test]
    async fn a_member_that_never_comes_holds_the_window_no_longer_than_the_limit() {
        let mut tickets = SharedWindow::tickets(2, Duration::from_millis(300));
        let mut a = tickets.remove(0);
        let started = Instant::now();
        a.open().await;
        assert!(started.elapsed() >= Duration::from_millis(300));
        drop(tickets);
    }
}
