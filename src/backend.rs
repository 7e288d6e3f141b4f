//! The `backend!` macro: declares a backend's public pool and guard types
//! over a [`Store`](crate::shared::Store), and implements [`Pool`](crate::Pool)
//! for them.
//!
//! Both backends run the same engine ([`Shared`](crate::shared::Shared)) and
//! differ only in their store; the macro keeps the public surface of the two
//! identical without a trait object or a shared generic type in the API.

/// Declares `$pool<M>`, `$guard<'a, M>` and `$owned<M>` over `$store`.
macro_rules! backend {
    (
        store: $store:ty,
        $(#[$pool_meta:meta])* pool: $pool:ident,
        $(#[$guard_meta:meta])* guard: $guard:ident,
        $(#[$owned_meta:meta])* owned: $owned:ident $(,)?
    ) => {
        type Engine<M> = $crate::shared::Shared<M, $store>;

        $(#[$pool_meta])*
        pub struct $pool<M: $crate::Manager> {
            shared: $crate::sync::Arc<Engine<M>>,
        }

        impl<M: $crate::Manager> $pool<M> {
            /// Starts building a pool around `manager`.
            ///
            /// # Examples
            ///
            /// ```
            #[doc = concat!("use zeropool::{Manager, Pool, ", stringify!($pool), "};")]
            /// # struct Unit;
            /// # impl Manager for Unit {
            /// #     type Resource = ();
            /// #     type Error = std::convert::Infallible;
            /// #     fn create(&self) -> Result<(), Self::Error> { Ok(()) }
            /// # }
            #[doc = concat!("let pool = ", stringify!($pool), "::builder(Unit).max_size(4).build()?;")]
            /// assert_eq!(pool.status().max_size, 4);
            /// # Ok::<(), zeropool::BuildError>(())
            /// ```
            pub fn builder(manager: M) -> $crate::Builder<M, Self> {
                $crate::Builder::new(manager)
            }

            /// The manager this pool calls.
            ///
            /// # Examples
            ///
            /// ```
            #[doc = concat!("use zeropool::{Manager, ", stringify!($pool), "};")]
            /// # #[derive(Debug, PartialEq)]
            /// struct Dial(&'static str);
            /// # impl Manager for Dial {
            /// #     type Resource = ();
            /// #     type Error = std::convert::Infallible;
            /// #     fn create(&self) -> Result<(), Self::Error> { Ok(()) }
            /// # }
            #[doc = concat!("let pool = ", stringify!($pool), "::builder(Dial(\"db:5432\")).build()?;")]
            /// assert_eq!(pool.manager(), &Dial("db:5432"));
            /// # Ok::<(), zeropool::BuildError>(())
            /// ```
            pub fn manager(&self) -> &M {
                &self.shared.manager
            }
        }

        impl<M: $crate::Manager> $crate::Builder<M, $pool<M>> {
            /// Checks the settings and builds the pool. Creates no resource.
            ///
            /// # Errors
            ///
            /// A [`BuildError`]($crate::BuildError) naming the setting that
            /// cannot work: `max_size` of 0, `min_idle` above `max_size`, a
            /// zero duration, or a `lifetime_jitter` without a longer
            /// `max_lifetime`.
            ///
            /// # Examples
            ///
            /// ```
            #[doc = concat!("use zeropool::{Manager, Pool, ", stringify!($pool), "};")]
            /// # struct Unit;
            /// # impl Manager for Unit {
            /// #     type Resource = ();
            /// #     type Error = std::convert::Infallible;
            /// #     fn create(&self) -> Result<(), Self::Error> { Ok(()) }
            /// # }
            #[doc = concat!("assert!(", stringify!($pool), "::builder(Unit).max_size(0).build().is_err());")]
            #[doc = concat!("let pool = ", stringify!($pool), "::builder(Unit).build()?;")]
            /// assert_eq!(pool.status().size, 0);
            /// # Ok::<(), zeropool::BuildError>(())
            /// ```
            pub fn build(self) -> Result<$pool<M>, $crate::BuildError> {
                let (manager, config) = self.into_parts()?;
                let shared = $crate::sync::Arc::new(Engine::new(manager, config)?);
                $crate::maintenance::start(&shared)?;
                Ok($pool { shared })
            }
        }

        impl<M: $crate::Manager> Clone for $pool<M> {
            /// Another handle to the same pool.
            fn clone(&self) -> Self {
                Self {
                    shared: self.shared.clone(),
                }
            }
        }

        impl<M: $crate::Manager> std::fmt::Debug for $pool<M> {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_struct(stringify!($pool))
                    .field("status", &$crate::Pool::status(self))
                    .field("closed", &$crate::Pool::is_closed(self))
                    .finish_non_exhaustive()
            }
        }

        impl<M: $crate::Manager> $crate::Pool for $pool<M> {
            type Manager = M;
            type Guard<'a> = $guard<'a, M>;
            type Owned = $owned<M>;

            #[inline]
            fn get(&self) -> $crate::pool::GetResult<$guard<'_, M>, M> {
                self.get_timeout(self.shared.config.acquire_timeout)
            }

            #[inline]
            fn get_timeout(
                &self,
                timeout: std::time::Duration,
            ) -> $crate::pool::GetResult<$guard<'_, M>, M> {
                let mut lease = $crate::lease::Lease::new(&*self.shared);
                lease.checkout($crate::shared::Patience::Wait(timeout))?;
                Ok($guard(lease))
            }

            #[inline]
            fn try_get(&self) -> $crate::pool::GetResult<Option<$guard<'_, M>>, M> {
                let mut lease = $crate::lease::Lease::new(&*self.shared);
                let found = lease.checkout($crate::shared::Patience::Never)?;
                Ok(found.then(|| $guard(lease)))
            }

            #[inline]
            fn get_owned(&self) -> $crate::pool::GetResult<$owned<M>, M> {
                let timeout = $crate::shared::Patience::Wait(self.shared.config.acquire_timeout);
                let mut lease = $crate::lease::Lease::new(self.shared.clone());
                lease.checkout(timeout)?;
                Ok($owned(lease))
            }

            fn status(&self) -> $crate::Status {
                self.shared.status()
            }

            fn close(&self) {
                self.shared.close();
            }

            fn is_closed(&self) -> bool {
                self.shared.is_closed()
            }

            fn maintain(&self) {
                self.shared.maintain();
            }

            fn fill(&self, n: usize) -> $crate::pool::GetResult<(), M> {
                self.shared.fill(n)
            }

            fn retain(&self, keep: impl FnMut(&mut M::Resource) -> bool) {
                self.shared.retain(keep);
            }

            fn reset(&self) {
                self.shared.reset();
            }

            fn close_and_wait(&self, timeout: std::time::Duration) -> bool {
                self.shared.close_and_wait(timeout)
            }
        }

        $(#[$guard_meta])*
        #[must_use = "dropping a guard returns its resource to the pool at once"]
        #[clippy::has_significant_drop]
        pub struct $guard<'a, M: $crate::Manager>($crate::lease::Lease<M, $store, &'a Engine<M>>);

        $(#[$owned_meta])*
        #[must_use = "dropping a guard returns its resource to the pool at once"]
        #[clippy::has_significant_drop]
        pub struct $owned<M: $crate::Manager>($crate::lease::Lease<M, $store, $crate::sync::Arc<Engine<M>>>);

        $crate::backend::guard_impls!($guard<'_, M>);
        $crate::backend::guard_impls!($owned<M>);

        // A borrowed guard is one reference (padded to the item's 16-byte
        // alignment) plus the stored resource, an owned one the same with an
        // `Arc`: nothing is boxed behind either, and `Option<guard>` keeps
        // the niche.
        const _: () = {
            use std::mem::size_of;
            struct Probe;
            impl $crate::Manager for Probe {
                type Resource = [u8; 64];
                type Error = ();
                fn create(&self) -> Result<[u8; 64], ()> {
                    Ok([0; 64])
                }
            }
            type Stored = Option<$crate::shared::Item<[u8; 64]>>;
            type Borrowed = $guard<'static, Probe>;
            assert!(size_of::<Borrowed>() <= 16 + size_of::<Stored>());
            assert!(size_of::<$owned<Probe>>() <= 16 + size_of::<Stored>());
            assert!(size_of::<Option<Borrowed>>() == size_of::<Borrowed>());
        };
    };
}

/// Implements `Deref`, `DerefMut`, `Pooled` and `Debug` for a guard newtype
/// over a `Lease`.
macro_rules! guard_impls {
    ($guard:ident<$($lt:lifetime,)? M>) => {
        impl<M: $crate::Manager> std::ops::Deref for $guard<$($lt,)? M> {
            type Target = M::Resource;

            fn deref(&self) -> &M::Resource {
                self.0.resource()
            }
        }

        impl<M: $crate::Manager> std::ops::DerefMut for $guard<$($lt,)? M> {
            fn deref_mut(&mut self) -> &mut M::Resource {
                self.0.resource_mut()
            }
        }

        impl<M: $crate::Manager> $crate::Pooled for $guard<$($lt,)? M> {
            fn discard(this: Self) {
                this.0.discard();
            }

            fn detach(this: Self) -> M::Resource {
                this.0.detach()
            }

            fn uses(this: &Self) -> u64 {
                this.0.uses()
            }

            fn created_at(this: &Self) -> $crate::sync::Instant {
                this.0.created_at()
            }
        }

        impl<M: $crate::Manager> std::fmt::Debug for $guard<$($lt,)? M>
        where
            M::Resource: std::fmt::Debug,
        {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_tuple(stringify!($guard)).field(self.0.resource()).finish()
            }
        }
    };
}

pub(crate) use backend;
pub(crate) use guard_impls;
