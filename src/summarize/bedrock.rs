//! One Bedrock Runtime Converse request: a prompt (and optional system text) in, the model's
//! answer text out, or a typed reason it did not answer. Building the SDK configuration (profile,
//! region, retries) and advising the user are the caller's.

use aws_config::SdkConfig;
use aws_sdk_bedrockruntime::types::{
    ContentBlock, ConversationRole, InferenceConfiguration, Message, SystemContentBlock,
};

use crate::inventory::CollectionError;

/// The IAM action a Converse request is authorized as.
pub const ACTION: &str = "bedrock:InvokeModel";

/// What to ask the model.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    /// Model id or inference profile id.
    pub model: &'a str,
    /// System text sent with the prompt; None: none.
    pub system: Option<&'a str>,
    /// The user message.
    pub prompt: &'a str,
    /// Upper bound of the answer's length, in tokens.
    pub max_tokens: i32,
}

/// Why the model gave no answer. The call failures keep the failure's code, message and HTTP
/// status; each displays as `Bedrock model <id> did not answer: <code>: <message> (<action>)`.
#[derive(Debug, thiserror::Error)]
pub enum ConverseError {
    /// The request could not be built.
    #[error("cannot build the Bedrock message")]
    Message(#[source] aws_sdk_bedrockruntime::error::BuildError),
    /// The caller may not invoke the model, or the account was not granted access to it.
    #[error("Bedrock model {model} did not answer: {error}")]
    AccessDenied {
        /// The model id asked.
        model: String,
        /// The failed call: its code, message and HTTP status.
        error: CollectionError,
    },
    /// Throttled or over quota, after the retries of the client's configuration.
    #[error("Bedrock model {model} did not answer: {error}")]
    Throttled {
        /// The model id asked.
        model: String,
        /// The failed call: its code, message and HTTP status.
        error: CollectionError,
    },
    /// The model id was refused: unknown, or not offered in the region.
    #[error("Bedrock model {model} did not answer: {error}")]
    ModelUnavailable {
        /// The model id asked.
        model: String,
        /// The failed call: its code, message and HTTP status.
        error: CollectionError,
    },
    /// Any other failure; `error.code` and `error.message` say which.
    #[error("Bedrock model {model} did not answer: {error}")]
    Other {
        /// The model id asked.
        model: String,
        /// The failed call: its code, message and HTTP status.
        error: CollectionError,
    },
    /// The model answered, but with no text block.
    #[error("Bedrock model {model} answered without text")]
    NoText {
        /// The model id asked.
        model: String,
    },
}

impl ConverseError {
    /// The failed call, for the variants where the request reached (or tried to reach) Bedrock.
    #[must_use]
    pub fn failure(&self) -> Option<&CollectionError> {
        match self {
            ConverseError::AccessDenied { error, .. }
            | ConverseError::Throttled { error, .. }
            | ConverseError::ModelUnavailable { error, .. }
            | ConverseError::Other { error, .. } => Some(error),
            ConverseError::Message(_) | ConverseError::NoText { .. } => None,
        }
    }

    fn of_failure(model: &str, error: CollectionError) -> Self {
        let model = model.to_string();
        let code = error.code.as_str();
        if code.starts_with("AccessDenied") {
            ConverseError::AccessDenied { model, error }
        } else if code.starts_with("Throttling") || code.starts_with("ServiceQuotaExceeded") {
            ConverseError::Throttled { model, error }
        } else if code.starts_with("ValidationException") || code.starts_with("ResourceNotFound") {
            ConverseError::ModelUnavailable { model, error }
        } else {
            ConverseError::Other { model, error }
        }
    }
}

/// Sends one Converse request and returns the text blocks of the answer, one per line.
pub async fn converse(config: &SdkConfig, request: Request<'_>) -> Result<String, ConverseError> {
    let client = aws_sdk_bedrockruntime::Client::new(config);
    let message = Message::builder()
        .role(ConversationRole::User)
        .content(ContentBlock::Text(request.prompt.to_string()))
        .build()
        .map_err(ConverseError::Message)?;
    let mut call = client.converse().model_id(request.model);
    if let Some(system) = request.system {
        call = call.system(SystemContentBlock::Text(system.to_string()));
    }
    let answer = call
        .messages(message)
        .inference_config(
            InferenceConfiguration::builder()
                .max_tokens(request.max_tokens)
                .build(),
        )
        .send()
        .await
        .map_err(|e| {
            ConverseError::of_failure(request.model, crate::collect::error::failure(&e, ACTION))
        })?;
    let texts: Vec<String> = answer
        .output()
        .and_then(|o| o.as_message().ok())
        .map(|m| {
            m.content()
                .iter()
                .filter_map(|c| c.as_text().ok().cloned())
                .collect()
        })
        .unwrap_or_default();
    if texts.is_empty() {
        return Err(ConverseError::NoText {
            model: request.model.to_string(),
        });
    }
    Ok(texts.join("\n"))
}
