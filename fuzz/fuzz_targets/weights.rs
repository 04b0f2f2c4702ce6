//! `weights::from_bytes` on arbitrary bytes: it must return a result, never
//! panic or allocate without bound; errors must be one readable line; and
//! weights it accepts must round-trip through `to_bytes`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use teleport_core::io::weights;

fuzz_target!(|data: &[u8]| {
    match weights::from_bytes(data) {
        Err(e) => {
            let message = e.to_string();
            assert!(!message.contains('\n'), "multi-line error: {message:?}");
            assert!(message.chars().count() < 1_000, "overlong error: {message}");
        }
        Ok((model, info)) => {
            let bytes = weights::to_bytes(&model, &info).expect("accepted weights serialize");
            let (again, again_info) =
                weights::from_bytes(&bytes).expect("written weights read back");
            // Tensors are raw bits and must come back exactly; configuration
            // floats pass through JSON, which may move them by an ulp.
            assert_eq!(model.nets(), again.nets());
            assert_eq!(model.config().variant, again.config().variant);
            assert_eq!(model.config().hidden, again.config().hidden);
            assert_eq!(info.trajectories_trained, again_info.trajectories_trained);
        }
    }
});
