//! Model 7: `maintain()` racing a get and release: it never drops a lent
//! resource (the holder's token stays alive while held), never exceeds
//! `max_size` (asserted inside `create`), and leaves the counts consistent.
//! Then `retain` racing both: one sweep at a time (the other waits or skips),
//! nothing lost, no deadlock.

use std::sync::atomic::Ordering::SeqCst;
use std::time::Duration;

use super::support::{both, counted, model, ModelPool};
use crate::sync::advance_clock;

fn maintain_races_get_and_release<P: ModelPool>() {
    model(|| {
        let pool = P::with_lifecycle(counted(2));
        pool.maintain(); // one idle, as min_idle asks
        let user = pool.clone();
        let using = loom::thread::spawn(move || {
            let guard = user.get().unwrap();
            let live = user.manager().live.load(SeqCst);
            assert!(live >= 1, "the lent resource is alive while held");
            drop(guard);
        });
        // Every resource alive now is past its lifetime.
        advance_clock(Duration::from_millis(20));
        pool.maintain();
        using.join().unwrap();
        let status = pool.status();
        let live = pool.manager().live.load(SeqCst);
        assert_eq!(status.size, live, "{status:?}");
        assert_eq!((status.in_use, status.waiting), (0, 0), "{status:?}");
        assert!(status.size <= 2, "{status:?}");
        let retired = status.closed_expired + status.discarded;
        assert_eq!(status.created, status.size as u64 + retired, "{status:?}");
    });
}

fn retain_races_maintain_and_get<P: ModelPool>() {
    model(|| {
        let pool = P::with_lifecycle(counted(2));
        pool.maintain(); // one idle, as min_idle asks
        let user = pool.clone();
        let using = loom::thread::spawn(move || drop(user.get().unwrap()));
        let sweeper = pool.clone();
        let sweeping = loom::thread::spawn(move || {
            let mut judged = 0;
            sweeper.retain(|_| {
                judged += 1;
                true
            });
            assert!(judged <= 2, "judged {judged} of at most 2");
        });
        advance_clock(Duration::from_millis(20));
        pool.maintain();
        using.join().unwrap();
        sweeping.join().unwrap();
        let status = pool.status();
        let live = pool.manager().live.load(SeqCst);
        assert_eq!(status.size, live, "{status:?}");
        assert_eq!((status.in_use, status.waiting), (0, 0), "{status:?}");
        let retired = status.closed_expired + status.discarded;
        assert_eq!(status.created, status.size as u64 + retired, "{status:?}");
    });
}

both!(
    maintain_races_get_and_release,
    retain_races_maintain_and_get
);
