/**
 * Outgoing email (password reset, verification, invitations): SES v2 in AWS; locally the same SES
 * call reaches the local target's mailbox, readable at `GET /dev/mailbox`.
 */
export interface EmailMessage {
  to: string;
  subject: string;
  text: string;
}

export interface EmailSender {
  send(message: EmailMessage): Promise<void>;
}
