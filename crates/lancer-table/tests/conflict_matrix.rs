//! The conflict matrix, one test per cell: my operation (row) committed after theirs
//! (column) on the same read version. Cells measured against pylance 14 (table-format.md
//! 8.6) are marked `measured`; the others follow the rules documented in `conflict.rs`.
//! `...Same` columns touch the same fragment (or config key) as my operation.

mod common;

use common::{Expect, cell};

#[test]
fn append_after_append() {
    // measured
    cell("Append", "Append", Expect::Ok);
}

#[test]
fn append_after_overwrite() {
    // measured
    cell("Append", "Overwrite", Expect::Conflict);
}

#[test]
fn append_after_merge() {
    // measured
    cell("Append", "Merge", Expect::Rebuild);
}

#[test]
fn append_after_merge_p_n() {
    // measured
    cell("Append", "MergePN", Expect::Ok);
}

#[test]
fn append_after_delete() {
    // measured
    cell("Append", "Delete", Expect::Ok);
}

#[test]
fn append_after_delete_same() {
    // rule
    cell("Append", "DeleteSame", Expect::Ok);
}

#[test]
fn append_after_rewrite() {
    // measured
    cell("Append", "Rewrite", Expect::Ok);
}

#[test]
fn append_after_rewrite_same() {
    // rule
    cell("Append", "RewriteSame", Expect::Ok);
}

#[test]
fn append_after_restore() {
    // measured
    cell("Append", "Restore", Expect::Conflict);
}

#[test]
fn append_after_project() {
    // measured
    cell("Append", "Project", Expect::Rebuild);
}

#[test]
fn append_after_update_config() {
    // measured
    cell("Append", "UpdateConfig", Expect::Ok);
}

#[test]
fn append_after_update_config_same() {
    // rule
    cell("Append", "UpdateConfigSame", Expect::Ok);
}

#[test]
fn append_after_reserve_fragments() {
    // rule
    cell("Append", "ReserveFragments", Expect::Ok);
}

#[test]
fn append_after_create_index() {
    // rule
    cell("Append", "CreateIndex", Expect::Ok);
}

#[test]
fn append_after_update() {
    // rule
    cell("Append", "Update", Expect::Ok);
}

#[test]
fn append_after_update_same() {
    // rule
    cell("Append", "UpdateSame", Expect::Ok);
}

#[test]
fn append_after_data_replacement() {
    // rule
    cell("Append", "DataReplacement", Expect::Ok);
}

#[test]
fn append_after_data_replacement_same() {
    // rule
    cell("Append", "DataReplacementSame", Expect::Ok);
}

#[test]
fn append_after_update_mem_wal_state() {
    // rule
    cell("Append", "UpdateMemWalState", Expect::Ok);
}

#[test]
fn append_after_clone() {
    // rule
    cell("Append", "Clone", Expect::Ok);
}

#[test]
fn append_after_update_bases() {
    // rule
    cell("Append", "UpdateBases", Expect::Ok);
}

#[test]
fn append_after_unknown() {
    // rule
    cell("Append", "Unknown", Expect::Conflict);
}

#[test]
fn overwrite_after_append() {
    // measured
    cell("Overwrite", "Append", Expect::Ok);
}

#[test]
fn overwrite_after_overwrite() {
    // measured
    cell("Overwrite", "Overwrite", Expect::Rebuild);
}

#[test]
fn overwrite_after_merge() {
    // measured
    cell("Overwrite", "Merge", Expect::Ok);
}

#[test]
fn overwrite_after_merge_p_n() {
    // measured
    cell("Overwrite", "MergePN", Expect::Ok);
}

#[test]
fn overwrite_after_delete() {
    // measured
    cell("Overwrite", "Delete", Expect::Ok);
}

#[test]
fn overwrite_after_delete_same() {
    // rule
    cell("Overwrite", "DeleteSame", Expect::Ok);
}

#[test]
fn overwrite_after_rewrite() {
    // measured
    cell("Overwrite", "Rewrite", Expect::Ok);
}

#[test]
fn overwrite_after_rewrite_same() {
    // rule
    cell("Overwrite", "RewriteSame", Expect::Ok);
}

#[test]
fn overwrite_after_restore() {
    // rule
    cell("Overwrite", "Restore", Expect::Ok);
}

#[test]
fn overwrite_after_project() {
    // rule
    cell("Overwrite", "Project", Expect::Ok);
}

#[test]
fn overwrite_after_update_config() {
    // measured
    cell("Overwrite", "UpdateConfig", Expect::Ok);
}

#[test]
fn overwrite_after_update_config_same() {
    // rule
    cell("Overwrite", "UpdateConfigSame", Expect::Ok);
}

#[test]
fn overwrite_after_reserve_fragments() {
    // rule
    cell("Overwrite", "ReserveFragments", Expect::Ok);
}

#[test]
fn overwrite_after_create_index() {
    // rule
    cell("Overwrite", "CreateIndex", Expect::Ok);
}

#[test]
fn overwrite_after_update() {
    // rule
    cell("Overwrite", "Update", Expect::Ok);
}

#[test]
fn overwrite_after_update_same() {
    // rule
    cell("Overwrite", "UpdateSame", Expect::Ok);
}

#[test]
fn overwrite_after_data_replacement() {
    // rule
    cell("Overwrite", "DataReplacement", Expect::Ok);
}

#[test]
fn overwrite_after_data_replacement_same() {
    // rule
    cell("Overwrite", "DataReplacementSame", Expect::Ok);
}

#[test]
fn overwrite_after_update_mem_wal_state() {
    // rule
    cell("Overwrite", "UpdateMemWalState", Expect::Ok);
}

#[test]
fn overwrite_after_clone() {
    // rule
    cell("Overwrite", "Clone", Expect::Ok);
}

#[test]
fn overwrite_after_update_bases() {
    // rule
    cell("Overwrite", "UpdateBases", Expect::Ok);
}

#[test]
fn overwrite_after_unknown() {
    // rule
    cell("Overwrite", "Unknown", Expect::Conflict);
}

#[test]
fn merge_after_append() {
    // measured
    cell("Merge", "Append", Expect::Rebuild);
}

#[test]
fn merge_after_overwrite() {
    // measured
    cell("Merge", "Overwrite", Expect::Conflict);
}

#[test]
fn merge_after_merge() {
    // measured
    cell("Merge", "Merge", Expect::Rebuild);
}

#[test]
fn merge_after_merge_p_n() {
    // measured
    cell("Merge", "MergePN", Expect::Rebuild);
}

#[test]
fn merge_after_delete() {
    // measured
    cell("Merge", "Delete", Expect::Rebuild);
}

#[test]
fn merge_after_delete_same() {
    // rule
    cell("Merge", "DeleteSame", Expect::Rebuild);
}

#[test]
fn merge_after_rewrite() {
    // measured
    cell("Merge", "Rewrite", Expect::Rebuild);
}

#[test]
fn merge_after_rewrite_same() {
    // rule
    cell("Merge", "RewriteSame", Expect::Rebuild);
}

#[test]
fn merge_after_restore() {
    // measured
    cell("Merge", "Restore", Expect::Conflict);
}

#[test]
fn merge_after_project() {
    // rule
    cell("Merge", "Project", Expect::Conflict);
}

#[test]
fn merge_after_update_config() {
    // rule
    cell("Merge", "UpdateConfig", Expect::Ok);
}

#[test]
fn merge_after_update_config_same() {
    // rule
    cell("Merge", "UpdateConfigSame", Expect::Ok);
}

#[test]
fn merge_after_reserve_fragments() {
    // rule
    cell("Merge", "ReserveFragments", Expect::Ok);
}

#[test]
fn merge_after_create_index() {
    // rule
    cell("Merge", "CreateIndex", Expect::Ok);
}

#[test]
fn merge_after_update() {
    // rule
    cell("Merge", "Update", Expect::Rebuild);
}

#[test]
fn merge_after_update_same() {
    // rule
    cell("Merge", "UpdateSame", Expect::Rebuild);
}

#[test]
fn merge_after_data_replacement() {
    // rule
    cell("Merge", "DataReplacement", Expect::Rebuild);
}

#[test]
fn merge_after_data_replacement_same() {
    // rule
    cell("Merge", "DataReplacementSame", Expect::Rebuild);
}

#[test]
fn merge_after_update_mem_wal_state() {
    // rule
    cell("Merge", "UpdateMemWalState", Expect::Rebuild);
}

#[test]
fn merge_after_clone() {
    // rule
    cell("Merge", "Clone", Expect::Ok);
}

#[test]
fn merge_after_update_bases() {
    // rule
    cell("Merge", "UpdateBases", Expect::Ok);
}

#[test]
fn merge_after_unknown() {
    // rule
    cell("Merge", "Unknown", Expect::Conflict);
}

#[test]
fn delete_after_append() {
    // measured
    cell("Delete", "Append", Expect::Ok);
}

#[test]
fn delete_after_overwrite() {
    // measured
    cell("Delete", "Overwrite", Expect::Conflict);
}

#[test]
fn delete_after_merge() {
    // measured
    cell("Delete", "Merge", Expect::Rebuild);
}

#[test]
fn delete_after_merge_p_n() {
    // measured
    cell("Delete", "MergePN", Expect::Rebuild);
}

#[test]
fn delete_after_delete() {
    // measured
    cell("Delete", "Delete", Expect::Ok);
}

#[test]
fn delete_after_delete_same() {
    // measured
    cell("Delete", "DeleteSame", Expect::Rebuild);
}

#[test]
fn delete_after_rewrite() {
    // measured
    cell("Delete", "Rewrite", Expect::Ok);
}

#[test]
fn delete_after_rewrite_same() {
    // measured
    cell("Delete", "RewriteSame", Expect::Rebuild);
}

#[test]
fn delete_after_restore() {
    // rule
    cell("Delete", "Restore", Expect::Conflict);
}

#[test]
fn delete_after_project() {
    // rule
    cell("Delete", "Project", Expect::Ok);
}

#[test]
fn delete_after_update_config() {
    // rule
    cell("Delete", "UpdateConfig", Expect::Ok);
}

#[test]
fn delete_after_update_config_same() {
    // rule
    cell("Delete", "UpdateConfigSame", Expect::Ok);
}

#[test]
fn delete_after_reserve_fragments() {
    // rule
    cell("Delete", "ReserveFragments", Expect::Ok);
}

#[test]
fn delete_after_create_index() {
    // rule
    cell("Delete", "CreateIndex", Expect::Ok);
}

#[test]
fn delete_after_update() {
    // rule
    cell("Delete", "Update", Expect::Ok);
}

#[test]
fn delete_after_update_same() {
    // rule
    cell("Delete", "UpdateSame", Expect::Rebuild);
}

#[test]
fn delete_after_data_replacement() {
    // rule
    cell("Delete", "DataReplacement", Expect::Ok);
}

#[test]
fn delete_after_data_replacement_same() {
    // rule
    cell("Delete", "DataReplacementSame", Expect::Rebuild);
}

#[test]
fn delete_after_update_mem_wal_state() {
    // rule
    cell("Delete", "UpdateMemWalState", Expect::Ok);
}

#[test]
fn delete_after_clone() {
    // rule
    cell("Delete", "Clone", Expect::Ok);
}

#[test]
fn delete_after_update_bases() {
    // rule
    cell("Delete", "UpdateBases", Expect::Ok);
}

#[test]
fn delete_after_unknown() {
    // rule
    cell("Delete", "Unknown", Expect::Conflict);
}

#[test]
fn rewrite_after_append() {
    // measured
    cell("Rewrite", "Append", Expect::Ok);
}

#[test]
fn rewrite_after_overwrite() {
    // measured
    cell("Rewrite", "Overwrite", Expect::Conflict);
}

#[test]
fn rewrite_after_merge() {
    // measured
    cell("Rewrite", "Merge", Expect::Rebuild);
}

#[test]
fn rewrite_after_merge_p_n() {
    // measured
    cell("Rewrite", "MergePN", Expect::Rebuild);
}

#[test]
fn rewrite_after_delete() {
    // measured
    cell("Rewrite", "Delete", Expect::Ok);
}

#[test]
fn rewrite_after_delete_same() {
    // measured
    cell("Rewrite", "DeleteSame", Expect::Rebuild);
}

#[test]
fn rewrite_after_rewrite() {
    // measured
    cell("Rewrite", "Rewrite", Expect::Ok);
}

#[test]
fn rewrite_after_rewrite_same() {
    // measured
    cell("Rewrite", "RewriteSame", Expect::Rebuild);
}

#[test]
fn rewrite_after_restore() {
    // rule
    cell("Rewrite", "Restore", Expect::Conflict);
}

#[test]
fn rewrite_after_project() {
    // rule
    cell("Rewrite", "Project", Expect::Ok);
}

#[test]
fn rewrite_after_update_config() {
    // rule
    cell("Rewrite", "UpdateConfig", Expect::Ok);
}

#[test]
fn rewrite_after_update_config_same() {
    // rule
    cell("Rewrite", "UpdateConfigSame", Expect::Ok);
}

#[test]
fn rewrite_after_reserve_fragments() {
    // rule
    cell("Rewrite", "ReserveFragments", Expect::Ok);
}

#[test]
fn rewrite_after_create_index() {
    // rule
    cell("Rewrite", "CreateIndex", Expect::Rebuild);
}

#[test]
fn rewrite_after_update() {
    // rule
    cell("Rewrite", "Update", Expect::Ok);
}

#[test]
fn rewrite_after_update_same() {
    // rule
    cell("Rewrite", "UpdateSame", Expect::Rebuild);
}

#[test]
fn rewrite_after_data_replacement() {
    // rule
    cell("Rewrite", "DataReplacement", Expect::Ok);
}

#[test]
fn rewrite_after_data_replacement_same() {
    // rule
    cell("Rewrite", "DataReplacementSame", Expect::Rebuild);
}

#[test]
fn rewrite_after_update_mem_wal_state() {
    // rule
    cell("Rewrite", "UpdateMemWalState", Expect::Ok);
}

#[test]
fn rewrite_after_clone() {
    // rule
    cell("Rewrite", "Clone", Expect::Ok);
}

#[test]
fn rewrite_after_update_bases() {
    // rule
    cell("Rewrite", "UpdateBases", Expect::Ok);
}

#[test]
fn rewrite_after_unknown() {
    // rule
    cell("Rewrite", "Unknown", Expect::Conflict);
}

#[test]
fn restore_after_append() {
    // measured
    cell("Restore", "Append", Expect::Ok);
}

#[test]
fn restore_after_overwrite() {
    // rule
    cell("Restore", "Overwrite", Expect::Ok);
}

#[test]
fn restore_after_merge() {
    // rule
    cell("Restore", "Merge", Expect::Ok);
}

#[test]
fn restore_after_merge_p_n() {
    // rule
    cell("Restore", "MergePN", Expect::Ok);
}

#[test]
fn restore_after_delete() {
    // rule
    cell("Restore", "Delete", Expect::Ok);
}

#[test]
fn restore_after_delete_same() {
    // rule
    cell("Restore", "DeleteSame", Expect::Ok);
}

#[test]
fn restore_after_rewrite() {
    // rule
    cell("Restore", "Rewrite", Expect::Ok);
}

#[test]
fn restore_after_rewrite_same() {
    // rule
    cell("Restore", "RewriteSame", Expect::Ok);
}

#[test]
fn restore_after_restore() {
    // rule
    cell("Restore", "Restore", Expect::Ok);
}

#[test]
fn restore_after_project() {
    // rule
    cell("Restore", "Project", Expect::Ok);
}

#[test]
fn restore_after_update_config() {
    // rule
    cell("Restore", "UpdateConfig", Expect::Ok);
}

#[test]
fn restore_after_update_config_same() {
    // rule
    cell("Restore", "UpdateConfigSame", Expect::Ok);
}

#[test]
fn restore_after_reserve_fragments() {
    // rule
    cell("Restore", "ReserveFragments", Expect::Ok);
}

#[test]
fn restore_after_create_index() {
    // rule
    cell("Restore", "CreateIndex", Expect::Ok);
}

#[test]
fn restore_after_update() {
    // rule
    cell("Restore", "Update", Expect::Ok);
}

#[test]
fn restore_after_update_same() {
    // rule
    cell("Restore", "UpdateSame", Expect::Ok);
}

#[test]
fn restore_after_data_replacement() {
    // rule
    cell("Restore", "DataReplacement", Expect::Ok);
}

#[test]
fn restore_after_data_replacement_same() {
    // rule
    cell("Restore", "DataReplacementSame", Expect::Ok);
}

#[test]
fn restore_after_update_mem_wal_state() {
    // rule
    cell("Restore", "UpdateMemWalState", Expect::Rebuild);
}

#[test]
fn restore_after_clone() {
    // rule
    cell("Restore", "Clone", Expect::Ok);
}

#[test]
fn restore_after_update_bases() {
    // rule
    cell("Restore", "UpdateBases", Expect::Ok);
}

#[test]
fn restore_after_unknown() {
    // rule
    cell("Restore", "Unknown", Expect::Conflict);
}

#[test]
fn project_after_append() {
    // measured
    cell("Project", "Append", Expect::Rebuild);
}

#[test]
fn project_after_overwrite() {
    // rule
    cell("Project", "Overwrite", Expect::Conflict);
}

#[test]
fn project_after_merge() {
    // measured
    cell("Project", "Merge", Expect::Rebuild);
}

#[test]
fn project_after_merge_p_n() {
    // rule
    cell("Project", "MergePN", Expect::Rebuild);
}

#[test]
fn project_after_delete() {
    // rule
    cell("Project", "Delete", Expect::Ok);
}

#[test]
fn project_after_delete_same() {
    // rule
    cell("Project", "DeleteSame", Expect::Ok);
}

#[test]
fn project_after_rewrite() {
    // rule
    cell("Project", "Rewrite", Expect::Ok);
}

#[test]
fn project_after_rewrite_same() {
    // rule
    cell("Project", "RewriteSame", Expect::Ok);
}

#[test]
fn project_after_restore() {
    // rule
    cell("Project", "Restore", Expect::Conflict);
}

#[test]
fn project_after_project() {
    // rule
    cell("Project", "Project", Expect::Rebuild);
}

#[test]
fn project_after_update_config() {
    // rule
    cell("Project", "UpdateConfig", Expect::Ok);
}

#[test]
fn project_after_update_config_same() {
    // rule
    cell("Project", "UpdateConfigSame", Expect::Ok);
}

#[test]
fn project_after_reserve_fragments() {
    // rule
    cell("Project", "ReserveFragments", Expect::Ok);
}

#[test]
fn project_after_create_index() {
    // rule
    cell("Project", "CreateIndex", Expect::Rebuild);
}

#[test]
fn project_after_update() {
    // rule
    cell("Project", "Update", Expect::Rebuild);
}

#[test]
fn project_after_update_same() {
    // rule
    cell("Project", "UpdateSame", Expect::Rebuild);
}

#[test]
fn project_after_data_replacement() {
    // rule
    cell("Project", "DataReplacement", Expect::Rebuild);
}

#[test]
fn project_after_data_replacement_same() {
    // rule
    cell("Project", "DataReplacementSame", Expect::Rebuild);
}

#[test]
fn project_after_update_mem_wal_state() {
    // rule
    cell("Project", "UpdateMemWalState", Expect::Ok);
}

#[test]
fn project_after_clone() {
    // rule
    cell("Project", "Clone", Expect::Ok);
}

#[test]
fn project_after_update_bases() {
    // rule
    cell("Project", "UpdateBases", Expect::Ok);
}

#[test]
fn project_after_unknown() {
    // rule
    cell("Project", "Unknown", Expect::Conflict);
}

#[test]
fn update_config_after_append() {
    // measured
    cell("UpdateConfig", "Append", Expect::Ok);
}

#[test]
fn update_config_after_overwrite() {
    // measured
    cell("UpdateConfig", "Overwrite", Expect::Ok);
}

#[test]
fn update_config_after_merge() {
    // rule
    cell("UpdateConfig", "Merge", Expect::Ok);
}

#[test]
fn update_config_after_merge_p_n() {
    // rule
    cell("UpdateConfig", "MergePN", Expect::Ok);
}

#[test]
fn update_config_after_delete() {
    // rule
    cell("UpdateConfig", "Delete", Expect::Ok);
}

#[test]
fn update_config_after_delete_same() {
    // rule
    cell("UpdateConfig", "DeleteSame", Expect::Ok);
}

#[test]
fn update_config_after_rewrite() {
    // rule
    cell("UpdateConfig", "Rewrite", Expect::Ok);
}

#[test]
fn update_config_after_rewrite_same() {
    // rule
    cell("UpdateConfig", "RewriteSame", Expect::Ok);
}

#[test]
fn update_config_after_restore() {
    // rule
    cell("UpdateConfig", "Restore", Expect::Ok);
}

#[test]
fn update_config_after_project() {
    // rule
    cell("UpdateConfig", "Project", Expect::Ok);
}

#[test]
fn update_config_after_update_config() {
    // rule
    cell("UpdateConfig", "UpdateConfig", Expect::Ok);
}

#[test]
fn update_config_after_update_config_same() {
    // rule
    cell("UpdateConfig", "UpdateConfigSame", Expect::Rebuild);
}

#[test]
fn update_config_after_reserve_fragments() {
    // rule
    cell("UpdateConfig", "ReserveFragments", Expect::Ok);
}

#[test]
fn update_config_after_create_index() {
    // rule
    cell("UpdateConfig", "CreateIndex", Expect::Ok);
}

#[test]
fn update_config_after_update() {
    // rule
    cell("UpdateConfig", "Update", Expect::Ok);
}

#[test]
fn update_config_after_update_same() {
    // rule
    cell("UpdateConfig", "UpdateSame", Expect::Ok);
}

#[test]
fn update_config_after_data_replacement() {
    // rule
    cell("UpdateConfig", "DataReplacement", Expect::Ok);
}

#[test]
fn update_config_after_data_replacement_same() {
    // rule
    cell("UpdateConfig", "DataReplacementSame", Expect::Ok);
}

#[test]
fn update_config_after_update_mem_wal_state() {
    // rule
    cell("UpdateConfig", "UpdateMemWalState", Expect::Ok);
}

#[test]
fn update_config_after_clone() {
    // rule
    cell("UpdateConfig", "Clone", Expect::Ok);
}

#[test]
fn update_config_after_update_bases() {
    // rule
    cell("UpdateConfig", "UpdateBases", Expect::Ok);
}

#[test]
fn update_config_after_unknown() {
    // rule
    cell("UpdateConfig", "Unknown", Expect::Conflict);
}

#[test]
fn reserve_fragments_after_append() {
    // rule
    cell("ReserveFragments", "Append", Expect::Ok);
}

#[test]
fn reserve_fragments_after_overwrite() {
    // rule
    cell("ReserveFragments", "Overwrite", Expect::Rebuild);
}

#[test]
fn reserve_fragments_after_merge() {
    // rule
    cell("ReserveFragments", "Merge", Expect::Ok);
}

#[test]
fn reserve_fragments_after_merge_p_n() {
    // rule
    cell("ReserveFragments", "MergePN", Expect::Ok);
}

#[test]
fn reserve_fragments_after_delete() {
    // rule
    cell("ReserveFragments", "Delete", Expect::Ok);
}

#[test]
fn reserve_fragments_after_delete_same() {
    // rule
    cell("ReserveFragments", "DeleteSame", Expect::Ok);
}

#[test]
fn reserve_fragments_after_rewrite() {
    // rule
    cell("ReserveFragments", "Rewrite", Expect::Ok);
}

#[test]
fn reserve_fragments_after_rewrite_same() {
    // rule
    cell("ReserveFragments", "RewriteSame", Expect::Ok);
}

#[test]
fn reserve_fragments_after_restore() {
    // rule
    cell("ReserveFragments", "Restore", Expect::Rebuild);
}

#[test]
fn reserve_fragments_after_project() {
    // rule
    cell("ReserveFragments", "Project", Expect::Ok);
}

#[test]
fn reserve_fragments_after_update_config() {
    // rule
    cell("ReserveFragments", "UpdateConfig", Expect::Ok);
}

#[test]
fn reserve_fragments_after_update_config_same() {
    // rule
    cell("ReserveFragments", "UpdateConfigSame", Expect::Ok);
}

#[test]
fn reserve_fragments_after_reserve_fragments() {
    // rule
    cell("ReserveFragments", "ReserveFragments", Expect::Ok);
}

#[test]
fn reserve_fragments_after_create_index() {
    // rule
    cell("ReserveFragments", "CreateIndex", Expect::Ok);
}

#[test]
fn reserve_fragments_after_update() {
    // rule
    cell("ReserveFragments", "Update", Expect::Ok);
}

#[test]
fn reserve_fragments_after_update_same() {
    // rule
    cell("ReserveFragments", "UpdateSame", Expect::Ok);
}

#[test]
fn reserve_fragments_after_data_replacement() {
    // rule
    cell("ReserveFragments", "DataReplacement", Expect::Ok);
}

#[test]
fn reserve_fragments_after_data_replacement_same() {
    // rule
    cell("ReserveFragments", "DataReplacementSame", Expect::Ok);
}

#[test]
fn reserve_fragments_after_update_mem_wal_state() {
    // rule
    cell("ReserveFragments", "UpdateMemWalState", Expect::Ok);
}

#[test]
fn reserve_fragments_after_clone() {
    // rule
    cell("ReserveFragments", "Clone", Expect::Ok);
}

#[test]
fn reserve_fragments_after_update_bases() {
    // rule
    cell("ReserveFragments", "UpdateBases", Expect::Ok);
}

#[test]
fn reserve_fragments_after_unknown() {
    // rule
    cell("ReserveFragments", "Unknown", Expect::Conflict);
}
