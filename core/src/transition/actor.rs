//! Who makes a change, as the hub's registry knows them (never a name
//! written in the record).

use crate::roles::DeviceRole;

/// Who makes a change, as the hub's registry knows them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Actor<'a> {
    /// The role behind the device; `None` for a device's own write through
    /// the store's API (the rules that hold for everyone are checked, the
    /// role's permissions are the hub's to check).
    pub role: Option<DeviceRole>,
    /// The person behind the device (a rep id, a back-office user, a
    /// customer contact), from the registry.
    pub person: &'a str,
    /// The device.
    pub device_id: &'a str,
}

impl Actor<'_> {
    /// A device's own write through the store's API.
    pub const LOCAL: Actor<'static> = Actor { role: None, person: "", device_id: "" };

    pub(crate) fn is(&self, role: DeviceRole) -> bool {
        self.role == Some(role)
    }
}
