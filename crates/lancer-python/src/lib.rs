//! `lancer._lancer`, the native half of the `lancer` Python package.
//!
//! The Python modules under `python/lancer` give pylance's shapes (`write_fragments`,
//! `FragmentMetadata`, `LanceOperation`, `LanceDataset`); this module does the work. Fragment
//! metadata crosses the boundary as pylance's JSON text, so a `FragmentMetadata` pickles and
//! travels between processes (Ray, multiprocessing) exactly as it does between workers.
//! Arrow data crosses through the Arrow C data interfaces, without copying columns. Calls
//! that do IO or encoding release the GIL (see `runtime.rs` for nesting and forks).

mod cleanup;
mod compact;
mod dataset;
mod errors;
mod runtime;
mod schema;
mod write;

use pyo3::prelude::*;

#[pymodule]
fn _lancer(module: &Bound<'_, PyModule>) -> PyResult<()> {
    module.add("__version__", env!("CARGO_PKG_VERSION"))?;
    module.add_class::<dataset::NativeDataset>()?;
    module.add_class::<dataset::NativeFragment>()?;
    module.add_class::<dataset::NativeScan>()?;
    module.add_class::<schema::LanceSchema>()?;
    module.add_class::<schema::LanceField>()?;
    module.add_function(wrap_pyfunction!(write::write_fragments, module)?)?;
    module.add_function(wrap_pyfunction!(write::normalize_fragment_json, module)?)?;
    module.add_function(wrap_pyfunction!(dataset::open_dataset, module)?)?;
    module.add_function(wrap_pyfunction!(dataset::commit, module)?)?;
    module.add_function(wrap_pyfunction!(compact::plan_compaction, module)?)?;
    module.add_function(wrap_pyfunction!(compact::execute_compaction_task, module)?)?;
    module.add_function(wrap_pyfunction!(compact::commit_compaction, module)?)?;
    module.add_function(wrap_pyfunction!(
        compact::discard_compaction_result,
        module
    )?)?;
    module.add_function(wrap_pyfunction!(compact::plan_tasks, module)?)?;
    module.add_function(wrap_pyfunction!(cleanup::cleanup, module)?)?;
    module.add_function(wrap_pyfunction!(cleanup::abort, module)?)?;
    module.add_function(wrap_pyfunction!(cleanup::abort_job, module)?)?;
    Ok(())
}
