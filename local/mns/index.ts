// The offline MNS: topics (topics.ts), signed HTTP pushes to endpoint subscriptions (push.ts), and the
// signing certificate those pushes name (certificate.ts).
export { createSigningCertificate, type SigningCertificate } from './certificate';
export { HttpPusher, retrySchedule, type HttpPusherOptions, type HttpSubscription, type NotifyStrategy, type PublishedMessage, type PushContentFormat, type PushRecord } from './push';
export { MAX_MESSAGE_BYTES, MnsAccessDeniedError, MnsTopics, TopicNotFoundError, type MnsTopicsOptions, type NotifyContentFormat, type TopicTrigger } from './topics';
