//! `json_task!`: declares one operation's `Task`. The struct holds owned inputs (copied from
//! JavaScript before the task is queued); `compute` runs the body on the libuv pool inside the
//! panic guard and yields a JSON string, which `resolve` hands to JavaScript unchanged.

macro_rules! json_task {
    ($(#[$doc:meta])* $name:ident { $($field:ident: $ty:ty),* $(,)? } => |$this:ident| $body:expr) => {
        $(#[$doc])*
        pub struct $name {
            $(pub(crate) $field: $ty,)*
        }

        impl napi::Task for $name {
            type Output = String;
            type JsValue = String;

            fn compute(&mut self) -> napi::Result<String> {
                let $this = &*self;
                $crate::error::guarded(|| $body)
            }

            fn resolve(&mut self, _env: napi::Env, json: String) -> napi::Result<String> {
                Ok(json)
            }
        }
    };
}

pub(crate) use json_task;
