//! Resource containers: nested byte quotas.
//!
//! Every task is charged to one container for the memory rm gives it (the
//! untyped chunks its objects, image, stack, heap and regions are carved
//! from). A container's quota is split from its parent: creating a nested
//! container *reserves* its quota in the parent, so the quotas of a
//! container's children and the usage of its own tasks never exceed its
//! quota, and no container can take memory that another one was promised.
//! The root container's quota is all the memory rm manages.
//!
//! A container is destroyed explicitly by its owner (the task that created
//! it) once it is empty, or automatically when its owner has ended and its
//! last task and nested container are gone; its quota then returns to its
//! parent.

use alloc::collections::BTreeMap;
use rampart_rm_api::{ContainerId, ContainerStat, Pid, ROOT_CONTAINER};
use rampart_uabi::Errno;

/// One container.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Container {
    /// Its id.
    pub id: ContainerId,
    /// The container its quota was split from (itself for the root).
    pub parent: ContainerId,
    /// The task that created it.
    pub owner: Pid,
    /// False once the owner has ended.
    pub owner_alive: bool,
    /// Quota in bytes.
    pub quota: u64,
    /// Bytes charged to its tasks.
    pub used: u64,
    /// Bytes reserved by nested containers.
    pub reserved: u64,
    /// Live tasks charged to it.
    pub tasks: u32,
    /// Nested containers.
    pub children: u32,
}

impl Container {
    /// Bytes still available.
    pub fn available(&self) -> u64 {
        self.quota.saturating_sub(self.used + self.reserved)
    }

    fn empty(&self) -> bool {
        self.tasks == 0 && self.children == 0 && self.used == 0
    }
}

/// All containers.
#[derive(Clone, Debug)]
pub struct Containers {
    map: BTreeMap<ContainerId, Container>,
    next: ContainerId,
}

impl Containers {
    /// Just the root container with `quota` bytes, owned by `owner`.
    pub fn new(quota: u64, owner: Pid) -> Containers {
        let root = Container {
            id: ROOT_CONTAINER,
            parent: ROOT_CONTAINER,
            owner,
            owner_alive: true,
            quota,
            used: 0,
            reserved: 0,
            tasks: 0,
            children: 0,
        };
        Containers { map: BTreeMap::from([(ROOT_CONTAINER, root)]), next: 1 }
    }

    /// Container `id`.
    pub fn get(&self, id: ContainerId) -> Option<&Container> {
        self.map.get(&id)
    }

    /// Number of containers.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// True if there are no containers (never: the root always exists).
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// A new container in `parent` with `quota` bytes, owned by `owner`.
    ///
    /// # Errors
    /// `ENOENT` (no parent), `EDQUOT` (the parent has less available).
    pub fn create(&mut self, parent: ContainerId, owner: Pid, quota: u64) -> Result<ContainerId, Errno> {
        let p = self.map.get_mut(&parent).ok_or(Errno::ENOENT)?;
        if p.available() < quota {
            return Err(Errno::EDQUOT);
        }
        p.reserved += quota;
        p.children += 1;
        let mut id = self.next;
        while self.map.contains_key(&id) || id == ROOT_CONTAINER {
            id = id.wrapping_add(1);
        }
        self.next = id.wrapping_add(1);
        let c = Container { id, parent, owner, owner_alive: true, quota, used: 0, reserved: 0, tasks: 0, children: 0 };
        self.map.insert(id, c);
        Ok(id)
    }

    /// Charges `bytes` to container `id`.
    ///
    /// # Errors
    /// `EDQUOT` (not enough available), `ENOENT`.
    pub fn charge(&mut self, id: ContainerId, bytes: u64) -> Result<(), Errno> {
        let c = self.map.get_mut(&id).ok_or(Errno::ENOENT)?;
        if c.available() < bytes {
            return Err(Errno::EDQUOT);
        }
        c.used += bytes;
        Ok(())
    }

    /// Returns `bytes` charged to container `id`.
    pub fn uncharge(&mut self, id: ContainerId, bytes: u64) {
        if let Some(c) = self.map.get_mut(&id) {
            debug_assert!(c.used >= bytes, "uncharging more than charged");
            c.used = c.used.saturating_sub(bytes);
        }
        self.reap(id);
    }

    /// A task was charged to `id`.
    ///
    /// # Errors
    /// `ENOENT`.
    pub fn add_task(&mut self, id: ContainerId) -> Result<(), Errno> {
        self.map.get_mut(&id).ok_or(Errno::ENOENT)?.tasks += 1;
        Ok(())
    }

    /// A task charged to `id` ended (its memory already uncharged).
    pub fn remove_task(&mut self, id: ContainerId) {
        if let Some(c) = self.map.get_mut(&id) {
            c.tasks = c.tasks.saturating_sub(1);
        }
        self.reap(id);
    }

    /// Destroys container `id` at the request of `by`.
    ///
    /// # Errors
    /// `ENOENT`, `EPERM` (not the owner, or the root), `EBUSY` (not empty).
    pub fn destroy(&mut self, id: ContainerId, by: Pid) -> Result<(), Errno> {
        let c = *self.map.get(&id).ok_or(Errno::ENOENT)?;
        if id == ROOT_CONTAINER || c.owner != by {
            return Err(Errno::EPERM);
        }
        if !c.empty() {
            return Err(Errno::EBUSY);
        }
        self.remove(id);
        Ok(())
    }

    fn remove(&mut self, id: ContainerId) {
        if let Some(c) = self.map.remove(&id)
            && let Some(p) = self.map.get_mut(&c.parent)
        {
            p.reserved -= c.quota;
            p.children -= 1;
        }
    }

    /// Destroys `id` and then its ancestors while each is empty and
    /// orphaned.
    fn reap(&mut self, mut id: ContainerId) {
        while let Some(c) = self.map.get(&id).copied() {
            if id == ROOT_CONTAINER || c.owner_alive || !c.empty() {
                return;
            }
            self.remove(id);
            id = c.parent;
        }
    }

    /// Task `pid` ended: the containers it owns become orphans (destroyed
    /// once empty).
    pub fn owner_exited(&mut self, pid: Pid) {
        let owned: alloc::vec::Vec<ContainerId> =
            self.map.values().filter(|c| c.owner == pid && c.id != ROOT_CONTAINER).map(|c| c.id).collect();
        for id in owned {
            if let Some(c) = self.map.get_mut(&id) {
                c.owner_alive = false;
            }
            self.reap(id);
        }
    }

    /// May task `pid`, charged to `own`, use container `id` (spawn into
    /// it, inspect it)? Its own container, or one it created.
    pub fn may_use(&self, id: ContainerId, pid: Pid, own: ContainerId) -> bool {
        id == own || self.map.get(&id).is_some_and(|c| c.owner == pid && c.owner_alive)
    }

    /// Usage of container `id`.
    pub fn stat(&self, id: ContainerId) -> Option<ContainerStat> {
        self.map.get(&id).map(|c| ContainerStat {
            id: c.id,
            parent: c.parent,
            quota: c.quota,
            used: c.used,
            reserved: c.reserved,
            tasks: c.tasks,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotas_nest_and_return() {
        let mut c = Containers::new(1000, 1);
        let a = c.create(ROOT_CONTAINER, 5, 600).unwrap();
        assert_eq!(c.create(ROOT_CONTAINER, 5, 500), Err(Errno::EDQUOT));
        let b = c.create(a, 6, 400).unwrap();
        assert_eq!(c.get(a).unwrap().available(), 200);
        c.charge(b, 400).unwrap();
        assert_eq!(c.charge(b, 1), Err(Errno::EDQUOT));
        assert_eq!(c.charge(a, 201), Err(Errno::EDQUOT));
        c.charge(ROOT_CONTAINER, 400).unwrap();
        assert_eq!(c.charge(ROOT_CONTAINER, 1), Err(Errno::EDQUOT));
        assert_eq!(c.destroy(b, 6), Err(Errno::EBUSY));
        assert_eq!(c.destroy(b, 5), Err(Errno::EPERM));
        c.uncharge(b, 400);
        c.destroy(b, 6).unwrap();
        assert_eq!(c.get(a).unwrap().available(), 600);
        assert_eq!(c.destroy(ROOT_CONTAINER, 1), Err(Errno::EPERM));
    }

    #[test]
    fn orphans_are_reaped_when_empty() {
        let mut c = Containers::new(1000, 1);
        let a = c.create(ROOT_CONTAINER, 5, 600).unwrap();
        let b = c.create(a, 5, 100).unwrap();
        c.add_task(b).unwrap();
        c.charge(b, 50).unwrap();
        c.owner_exited(5);
        assert!(c.get(a).is_some() && c.get(b).is_some());
        c.uncharge(b, 50);
        c.remove_task(b);
        assert!(c.get(b).is_none() && c.get(a).is_none(), "both orphans reaped");
        assert_eq!(c.get(ROOT_CONTAINER).unwrap().available(), 1000);
        assert_eq!(c.len(), 1);
    }

    #[test]
    fn use_rights() {
        let mut c = Containers::new(1000, 1);
        let a = c.create(ROOT_CONTAINER, 5, 10).unwrap();
        assert!(c.may_use(a, 5, ROOT_CONTAINER));
        assert!(!c.may_use(a, 6, ROOT_CONTAINER));
        assert!(c.may_use(a, 6, a));
    }
}
