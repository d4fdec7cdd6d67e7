//! The MMU: TLBs and paging-structure caches (SDM Vol 3A §4.10; SPEC §14).

pub mod psc;
pub mod tlb;
