//! [`Lease`]: the state and release logic behind every guard type.
//!
//! Each backend's public guards (`StackGuard`, `StackOwned`, `ChannelGuard`,
//! `ChannelOwned`) are thin wrappers over a `Lease`, which holds a handle to
//! the pool engine and the resource, inline: no box, no reference count for
//! borrowed guards.

use std::ops::Deref;

use crate::shared::{Item, Shared, Store};
use crate::Manager;

/// A resource lent out by the pool engine behind `handle`: `&Shared` for a
/// borrowed guard, `Arc<Shared>` for an owned one.
///
/// `repr(C)` keeps the handle first and the item at offset 16, so the bytes
/// between them are padding. A `Result<guard, Error>` marks `Err` with a
/// niche (the item's creation time, or the handle) and puts the error at the
/// front: over the handle, or right after it, where `Error`'s 8-byte tag
/// fills the padding. Either way the error shares no bytes with the item, so
/// moving the result copies the item in the 16-byte chunks it was written in
/// (see `Item`).
#[repr(C)]
pub(crate) struct Lease<M, S, H>
where
    M: Manager,
    S: Store<Item<M::Resource>>,
    H: Deref<Target = Shared<M, S>>,
{
    handle: H,
    /// Present until the lease is released, discarded or detached.
    item: Option<Item<M::Resource>>,
}

impl<M, S, H> Lease<M, S, H>
where
    M: Manager,
    S: Store<Item<M::Resource>>,
    H: Deref<Target = Shared<M, S>>,
{
    /// An empty lease; the engine's checkout fills its slot.
    #[inline]
    pub(crate) fn new(handle: H) -> Self {
        Self { handle, item: None }
    }

    /// Fills the slot from the pool; `Ok(false)` if nothing was handed out
    /// (only without patience).
    #[inline]
    pub(crate) fn checkout(
        &mut self,
        patience: crate::shared::Patience,
    ) -> crate::pool::GetResult<bool, M> {
        self.handle.checkout(patience, &mut self.item)
    }

    fn item(&self) -> &Item<M::Resource> {
        match &self.item {
            Some(item) => item,
            None => unreachable!("a lease holds its resource until it is consumed"),
        }
    }

    pub(crate) fn resource(&self) -> &M::Resource {
        &self.item().resource
    }

    pub(crate) fn resource_mut(&mut self) -> &mut M::Resource {
        match &mut self.item {
            Some(item) => &mut item.resource,
            None => unreachable!("a lease holds its resource until it is consumed"),
        }
    }

    fn take(&mut self) -> Item<M::Resource> {
        match self.item.take() {
            Some(item) => item,
            None => unreachable!("a lease holds its resource until it is consumed"),
        }
    }

    /// Drops the resource now and frees its slot.
    pub(crate) fn discard(mut self) {
        let item = self.take();
        self.handle.destroy(item, crate::shared::Retire::Discarded);
    }

    /// Takes the resource out of the pool and frees its slot.
    pub(crate) fn detach(mut self) -> M::Resource {
        let item = self.take();
        self.handle
            .free_slot(false, crate::shared::Retire::Detached);
        item.resource
    }

    /// How many times this resource was handed out, this time included.
    pub(crate) fn uses(&self) -> u64 {
        self.item().uses
    }

    /// When the resource was created.
    pub(crate) fn created_at(&self) -> crate::sync::Instant {
        self.handle.created_at(self.item())
    }
}

impl<M, S, H> Drop for Lease<M, S, H>
where
    M: Manager,
    S: Store<Item<M::Resource>>,
    H: Deref<Target = Shared<M, S>>,
{
    #[inline]
    fn drop(&mut self) {
        self.handle.release(&mut self.item);
    }
}
