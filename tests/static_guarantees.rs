//! Compile-time guarantees of the public types, for both backends: auto
//! traits, what is never `Clone`, and the guards' layout. A change that breaks
//! one of them stops this file from compiling, so `cargo test` fails.
//!
//! The assertions come in two kinds. `static_assertions` checks concrete types
//! (a small manager per kind of resource). The `_for_every_*` functions are
//! never called: they compile only if the bound holds for *every* manager (or
//! error type) meeting their `where` clause, which no finite list of concrete
//! types can show.
//!
//! What these cannot express, because it is a program that must be rejected,
//! lives in `src/proofs.rs` as `compile_fail` doctests: a guard outliving its
//! pool, a guard used after `detach` or `discard`, a borrowed guard sent to a
//! `std::thread::spawn` thread, `Box<dyn Pool>`, and a manager of a `!Send`
//! resource. The same layout bounds are also asserted inside the library, next
//! to the guard types (`src/backend.rs`), so a bloated guard fails the
//! library's own build. The slot a guard keeps its resource in is private;
//! its size and alignment come from `zeropool::__private::slot_size` and
//! `slot_align`, so the bounds follow the library's own bookkeeping.

use std::cell::Cell;
use std::mem::size_of;
use std::rc::Rc;
use std::thread;

use static_assertions::{assert_impl_all, assert_not_impl_any, const_assert};
use zeropool::__private::{slot_align, slot_size};
use zeropool::{
    ChannelGuard, ChannelOwned, ChannelPool, Error, Manager, Pool, StackGuard, StackOwned,
    StackPool, Status,
};

/// A resource that is `Send + Sync`, with a niche-free layout.
struct Numbers;

impl Manager for Numbers {
    type Resource = u64;
    type Error = std::io::Error;

    fn create(&self) -> Result<u64, Self::Error> {
        Ok(0)
    }
}

/// A resource that is `Send` but not `Sync`.
struct Cells;

impl Manager for Cells {
    type Resource = Cell<u64>;
    type Error = std::convert::Infallible;

    fn create(&self) -> Result<Cell<u64>, Self::Error> {
        Ok(Cell::new(0))
    }
}

/// A resource large enough that boxing it would show in the guard's size.
struct Blocks;

impl Manager for Blocks {
    type Resource = [u8; 64];
    type Error = std::convert::Infallible;

    fn create(&self) -> Result<[u8; 64], Self::Error> {
        Ok([0; 64])
    }
}

/// A resource with a niche (`String`'s capacity), which `Option` can reuse.
struct Texts;

impl Manager for Texts {
    type Resource = String;
    type Error = std::convert::Infallible;

    fn create(&self) -> Result<String, Self::Error> {
        Ok(String::new())
    }
}

// Status is a plain snapshot; Error<E> crosses threads and lives in
// `Box<dyn Error + Send + Sync>` whenever the manager's error can.
assert_impl_all!(Status: Copy, Send, Sync);
assert_impl_all!(Error<std::io::Error>: Send, Sync, std::error::Error);

/// `Error<E>` is `Send + Sync + 'static` for every `E` that is.
fn _for_every_error<E: Send + Sync + 'static>() {
    fn send_sync_static<T: Send + Sync + 'static>() {}
    send_sync_static::<Error<E>>();
}

// A manager's resource must be `Send + 'static` (a bound of
// `Manager::Resource`), so a pool of `!Send` resources cannot be declared at
// all: `impl Manager` with `type Resource = Rc<()>` is rejected (E0277), as
// the `compile_fail` doctest "A `!Send` resource" in `src/proofs.rs` checks.
// Hence every pool is `Send`, which `_for_every_manager` below proves.
assert_not_impl_any!(Rc<()>: Send, Sync);

/// Whether `Guard` is no larger than `pointers` pointers (padded to the
/// slot's alignment) plus the slot the pool keeps an `R` in (the resource
/// and its bookkeeping, in an `Option` that marks it released).
const fn fits<Guard, R>(pointers: usize) -> bool {
    let align = slot_align::<R>();
    let header = (pointers * size_of::<usize>()).div_ceil(align) * align;
    size_of::<Guard>() <= header + slot_size::<R>()
}

/// Whether `Option<T>` is no larger than `T`.
const fn niche_kept<T>() -> bool {
    size_of::<Option<T>>() == size_of::<T>()
}

/// The same guarantees for each backend.
macro_rules! backend_guarantees {
    ($pool:ident, $guard:ident, $owned:ident) => {
        use super::*;

        // Pools: handles shared across threads, cloned cheaply.
        assert_impl_all!($pool<Numbers>: Send, Sync, Clone);
        assert_impl_all!($pool<Cells>: Send, Sync, Clone);

        // Borrowed guards: `Send` with a `Send` resource, `Sync` with a `Sync`
        // one and only then, and never `Clone` (a resource has one holder).
        assert_impl_all!($guard<'static, Numbers>: Send, Sync);
        assert_impl_all!($guard<'static, Cells>: Send);
        assert_not_impl_any!($guard<'static, Cells>: Sync);
        assert_not_impl_any!($guard<'static, Numbers>: Clone, Copy);

        // Owned guards: `Send + 'static`, so they move to any thread; never
        // `Clone` either.
        assert_impl_all!($owned<Numbers>: Send, Sync);
        assert_impl_all!($owned<Cells>: Send);
        assert_not_impl_any!($owned<Cells>: Sync);
        assert_not_impl_any!($owned<Numbers>: Clone, Copy);

        /// For every manager: the pool is `Send + Sync + Clone + 'static`,
        /// a borrowed guard `Send`, an owned guard `Send + 'static`.
        fn _for_every_manager<M: Manager>() {
            fn send_sync_clone_static<T: Send + Sync + Clone + 'static>() {}
            fn send<T: Send>() {}
            fn send_static<T: Send + 'static>() {}
            send_sync_clone_static::<$pool<M>>();
            send::<$guard<'_, M>>();
            send_static::<$owned<M>>();
        }

        /// For every manager whose resource is `Sync`: both guards are `Sync`.
        fn _for_every_sync_resource<M: Manager>()
        where
            M::Resource: Sync,
        {
            fn sync<T: Sync>() {}
            sync::<$guard<'_, M>>();
            sync::<$owned<M>>();
        }

        // Layout: a borrowed guard is at most one reference (padded to the
        // slot's alignment) plus the resource slot, an owned guard the same
        // with its `Arc`; nothing is boxed behind either. The
        // resource is stored inline: a boxed one would leave a guard smaller
        // than the resource.
        const_assert!(fits::<$guard<'static, Blocks>, [u8; 64]>(1));
        const_assert!(fits::<$owned<Blocks>, [u8; 64]>(1));
        const_assert!(fits::<$guard<'static, Numbers>, u64>(1));
        const_assert!(fits::<$owned<Numbers>, u64>(1));
        const_assert!(fits::<$guard<'static, Texts>, String>(1));
        const_assert!(fits::<$owned<Texts>, String>(1));
        const_assert!(size_of::<$guard<'static, Blocks>>() > 64);
        const_assert!(size_of::<$owned<Blocks>>() > 64);

        // `Option<guard>` costs nothing: the compiler reuses a niche (the
        // guard's reference or `Arc`, the item's creation time, or the
        // resource's own).
        const_assert!(niche_kept::<$guard<'static, Blocks>>());
        const_assert!(niche_kept::<$owned<Blocks>>());
        const_assert!(niche_kept::<$guard<'static, Numbers>>());
        const_assert!(niche_kept::<$owned<Numbers>>());
        const_assert!(niche_kept::<$guard<'static, Texts>>());
        const_assert!(niche_kept::<$owned<Texts>>());

        /// What the static assertions allow, done: a borrowed guard moved into
        /// a scoped thread, shared by reference between two more, and an owned
        /// guard moved into a `'static` thread.
        #[test]
        fn guards_cross_threads_as_asserted() {
            let pool = $pool::builder(Numbers).max_size(2).build().unwrap();
            thread::scope(|scope| {
                let mut guard = pool.get().unwrap();
                scope.spawn(move || *guard += 1).join().unwrap();
            });
            let guard = pool.get().unwrap();
            thread::scope(|scope| {
                let (first, second) = (scope.spawn(|| *guard), scope.spawn(|| *guard));
                assert_eq!((first.join().unwrap(), second.join().unwrap()), (1, 1));
            });
            let owned = pool.get_owned().unwrap();
            assert_eq!(thread::spawn(move || *owned).join().unwrap(), 0);
            drop(guard);
            assert_eq!(pool.status().idle, 2);
        }
    };
}

mod stack {
    backend_guarantees!(StackPool, StackGuard, StackOwned);
}

mod channel {
    backend_guarantees!(ChannelPool, ChannelGuard, ChannelOwned);
}

/// The sizes behind the layout assertions, printed for the record
/// (`cargo test --test static_guarantees -- --nocapture`).
#[test]
fn guard_sizes() {
    let (pointer, slot) = (size_of::<usize>(), slot_size::<[u8; 64]>());
    let rows = [
        (
            "StackGuard<[u8; 64]>",
            size_of::<StackGuard<'static, Blocks>>(),
        ),
        ("StackOwned<[u8; 64]>", size_of::<StackOwned<Blocks>>()),
        (
            "ChannelGuard<[u8; 64]>",
            size_of::<ChannelGuard<'static, Blocks>>(),
        ),
        ("ChannelOwned<[u8; 64]>", size_of::<ChannelOwned<Blocks>>()),
    ];
    for (name, size) in rows {
        println!("{name}: {size} B (pointer {pointer} B, slot {slot} B)");
    }
}
