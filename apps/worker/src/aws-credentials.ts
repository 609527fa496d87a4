import { fromTemporaryCredentials } from "@aws-sdk/credential-providers";
import type { z } from "zod";
import type { TAwsCredentials } from "@lockstep/secrets";
import type { ZAwsCredential } from "@lockstep/validators";

/**
 * A workspace's AWS credentials as the SDK takes them. A key pair is used as is. A role is assumed
 * through STS with the worker's own identity (its instance/task role or environment), with the
 * external id when the role's trust policy asks for one; the SDK refreshes the session before it
 * expires. The session name carries "lockstep" so CloudTrail shows who acted.
 */
export function awsCredentialsFor(
  credential: z.infer<typeof ZAwsCredential>,
  opts: { region: string; endpoint?: string },
): TAwsCredentials {
  if ("accessKeyId" in credential) {
    return {
      accessKeyId: credential.accessKeyId,
      secretAccessKey: credential.secretAccessKey,
      ...(credential.sessionToken ? { sessionToken: credential.sessionToken } : {}),
    };
  }
  return fromTemporaryCredentials({
    params: {
      RoleArn: credential.roleArn,
      RoleSessionName: `lockstep-worker-${process.pid}`,
      DurationSeconds: 3600,
      ...(credential.externalId ? { ExternalId: credential.externalId } : {}),
    },
    clientConfig: { region: opts.region, ...(opts.endpoint ? { endpoint: opts.endpoint } : {}) },
  });
}
