//! Which model the sessions' CLIs talk to: the configured Anthropic API (credentials pass
//! through the environment), or — when none is configured — the built-in demo model, a
//! [`ModelStub`] in demo mode on a loopback port, so a newcomer sees the whole product work
//! offline.

use crate::config::Settings;
use crate::model_stub::{ModelStub, StubMode};

/// The key the CLI is given for the demo model (the stub accepts any).
const DEMO_KEY: &str = "demo-model-needs-no-key";

/// What every CLI spawn needs to know about the model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelConfig {
    /// The built-in demo model answers (no Anthropic credentials configured).
    pub demo: bool,
    /// Variables set for each CLI (empty when the server's own environment is enough).
    pub cli_env: Vec<(String, String)>,
}

/// Owns the demo model server while the application runs.
pub struct ModelBackend {
    pub config: ModelConfig,
    demo: Option<ModelStub>,
}

impl ModelBackend {
    pub async fn start(settings: &Settings) -> std::io::Result<ModelBackend> {
        if !settings.demo_model() {
            return Ok(ModelBackend {
                config: ModelConfig {
                    demo: false,
                    cli_env: Vec::new(),
                },
                demo: None,
            });
        }
        let stub = ModelStub::start(0, StubMode::Demo).await?;
        Ok(ModelBackend {
            config: ModelConfig {
                demo: true,
                cli_env: vec![
                    ("ANTHROPIC_BASE_URL".to_string(), stub.url()),
                    ("ANTHROPIC_API_KEY".to_string(), DEMO_KEY.to_string()),
                ],
            },
            demo: Some(stub),
        })
    }

    /// The demo model's address, when it runs.
    pub fn demo_url(&self) -> Option<String> {
        self.demo.as_ref().map(ModelStub::url)
    }

    pub async fn stop(self) {
        if let Some(stub) = self.demo {
            stub.stop().await;
        }
    }
}
