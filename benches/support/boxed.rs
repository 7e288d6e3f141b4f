//! The counterexample: a pool reached through a trait object, the way the Go
//! adapter reached puddle through a `Pool` interface. Every acquire boxes the
//! guard, which costs one allocation; zeropool's own API never does this.

use zeropool::{Error, Manager, Pool, StackGuard, StackPool};

/// An acquired resource behind a trait object.
pub trait DynResource {
    /// Reads the resource.
    fn value(&self) -> u64;
}

/// A pool behind a trait object.
pub trait DynPool {
    /// Acquires a boxed resource; dropping the box releases it.
    fn acquire(&self) -> Result<Box<dyn DynResource + '_>, Error<()>>;
}

/// Wraps a [`StackPool`] behind [`DynPool`].
pub struct Boxed<M: Manager>(pub StackPool<M>);

struct BoxedGuard<'a, M: Manager>(StackGuard<'a, M>);

impl<M: Manager> DynResource for BoxedGuard<'_, M>
where
    M::Resource: Copy + Into<u64>,
{
    fn value(&self) -> u64 {
        (*self.0).into()
    }
}

impl<M: Manager> DynPool for Boxed<M>
where
    M::Resource: Copy + Into<u64>,
{
    fn acquire(&self) -> Result<Box<dyn DynResource + '_>, Error<()>> {
        match self.0.get() {
            Ok(guard) => Ok(Box::new(BoxedGuard(guard))),
            Err(Error::Create(_)) => Err(Error::Create(())),
            Err(Error::Closed) => Err(Error::Closed),
            Err(_) => Err(Error::Timeout),
        }
    }
}
