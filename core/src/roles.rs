//! The roles behind devices (the domain: who a person is to us). What each may change is in
//! [`crate::transition`], which the hub runs on every merged record.

/// The role of the person behind a device (from the device's token).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
pub enum DeviceRole {
    /// The back office: may change anything in scope.
    #[default]
    Admin,
    /// A field rep: may change accounts, activities, quotes and orders in
    /// scope, but not decide a discount request.
    Rep,
    /// A customer: may approve or reject a quote sent to them and place
    /// reorders, nothing else.
    Customer,
}

impl DeviceRole {
    /// The role's name: `admin`, `rep` or `customer`.
    pub fn as_str(self) -> &'static str {
        match self {
            DeviceRole::Admin => "admin",
            DeviceRole::Rep => "rep",
            DeviceRole::Customer => "customer",
        }
    }

    /// Parses a role name.
    pub fn parse(s: &str) -> Option<DeviceRole> {
        match s {
            "admin" => Some(DeviceRole::Admin),
            "rep" => Some(DeviceRole::Rep),
            "customer" => Some(DeviceRole::Customer),
            _ => None,
        }
    }
}
