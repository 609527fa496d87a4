package lockstep.nextflow;

import com.google.gson.Gson;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Reads one secret's value from the run's cloud store, by reference, with the head's own identity:
 * the Batch job role (AWS, through the ECS credentials endpoint or the environment) or the VM's
 * service account (Google, through the metadata server). Errors name the secret and the HTTP
 * status, never a response body.
 */
final class StoreClient {
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    private static final Gson GSON = new Gson();
    static final String GOOGLE_METADATA_TOKEN = "http://metadata.google.internal/computeMetadata/v1/instance/service-accounts/default/token";

    private final RunSecrets run;

    StoreClient(RunSecrets run) {
        this.run = run;
    }

    String read(String name) throws Exception {
        String ref = run.refs.get(name);
        return RunSecrets.AWS.equals(run.store) ? readAws(name, ref) : readGoogle(name, ref);
    }

    // ---- AWS Secrets Manager: GetSecretValue, signed with Signature Version 4 ----

    private String readAws(String name, String arn) throws Exception {
        String endpoint = run.endpoint != null ? run.endpoint : "https://secretsmanager." + run.region + ".amazonaws.com";
        JsonObject request = new JsonObject();
        request.addProperty("SecretId", arn);
        HttpResponse<String> res = awsPost(run.region, "secretsmanager", endpoint, "/", "application/x-amz-json-1.1", "secretsmanager.GetSecretValue", GSON.toJson(request));
        if (res.statusCode() != 200) {
            throw new IllegalStateException("AWS Secrets Manager answered HTTP " + res.statusCode() + " " + awsErrorType(res) + " for secret '" + name + "' (" + arn + ")");
        }
        JsonElement value = GSON.fromJson(res.body(), JsonObject.class).get("SecretString");
        if (value == null || value.isJsonNull()) throw new IllegalStateException("AWS Secrets Manager holds no string value for secret '" + name + "' (" + arn + ")");
        return value.getAsString();
    }

    /**
     * One AWS API call: a POST of a JSON body to `endpoint + path`, signed with Signature Version 4
     * for `service` in `region` with the head's own credentials. `target` is the X-Amz-Target of
     * JSON-protocol services (Secrets Manager), null for REST-JSON ones (Batch).
     */
    static HttpResponse<String> awsPost(String region, String service, String endpoint, String path, String contentType, String target, String json) throws Exception {
        String[] creds = awsCredentials();
        URI uri = URI.create(endpoint + path);
        String host = uri.getHost() + (uri.getPort() == -1 ? "" : ":" + uri.getPort());
        byte[] body = json.getBytes(StandardCharsets.UTF_8);
        ZonedDateTime now = ZonedDateTime.now(ZoneOffset.UTC);
        String amzDate = now.format(DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'"));
        String date = amzDate.substring(0, 8);
        StringBuilder canonicalHeaders = new StringBuilder()
                .append("content-type:").append(contentType).append('\n')
                .append("host:").append(host).append('\n')
                .append("x-amz-date:").append(amzDate).append('\n');
        String signedHeaders = "content-type;host;x-amz-date";
        if (creds[2] != null) {
            canonicalHeaders.append("x-amz-security-token:").append(creds[2]).append('\n');
            signedHeaders += ";x-amz-security-token";
        }
        if (target != null) {
            canonicalHeaders.append("x-amz-target:").append(target).append('\n');
            signedHeaders += ";x-amz-target";
        }
        String canonicalRequest = "POST\n" + uri.getRawPath() + "\n\n" + canonicalHeaders + "\n" + signedHeaders + "\n" + hex(sha256(body));
        String scope = date + "/" + region + "/" + service + "/aws4_request";
        String toSign = "AWS4-HMAC-SHA256\n" + amzDate + "\n" + scope + "\n" + hex(sha256(canonicalRequest.getBytes(StandardCharsets.UTF_8)));
        byte[] key = hmac(("AWS4" + creds[1]).getBytes(StandardCharsets.UTF_8), date);
        key = hmac(key, region);
        key = hmac(key, service);
        key = hmac(key, "aws4_request");
        String signature = hex(hmac(key, toSign));
        HttpRequest.Builder req = HttpRequest.newBuilder(uri)
                .timeout(Duration.ofSeconds(30))
                .header("Content-Type", contentType)
                .header("X-Amz-Date", amzDate)
                .header("Authorization", "AWS4-HMAC-SHA256 Credential=" + creds[0] + "/" + scope + ", SignedHeaders=" + signedHeaders + ", Signature=" + signature)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body));
        if (target != null) req.header("X-Amz-Target", target);
        if (creds[2] != null) req.header("X-Amz-Security-Token", creds[2]);
        return HTTP.send(req.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    }

    static String awsErrorType(HttpResponse<String> res) {
        String type = res.headers().firstValue("x-amzn-errortype").orElse("");
        if (type.isEmpty()) {
            try {
                JsonElement t = GSON.fromJson(res.body(), JsonObject.class).get("__type");
                if (t != null) type = t.getAsString();
            } catch (RuntimeException ignored) {
                // not JSON: the status says enough
            }
        }
        type = type.replaceAll("[^A-Za-z0-9#:._-]", "");
        return type.length() > 100 ? type.substring(0, 100) : type;
    }

    /** [accessKeyId, secretAccessKey, sessionToken or null]: the environment, else the ECS container credentials endpoint. */
    private static String[] awsCredentials() throws Exception {
        String id = System.getenv("AWS_ACCESS_KEY_ID");
        String secret = System.getenv("AWS_SECRET_ACCESS_KEY");
        if (id != null && !id.isEmpty() && secret != null && !secret.isEmpty()) {
            String token = System.getenv("AWS_SESSION_TOKEN");
            return new String[] {id, secret, token == null || token.isEmpty() ? null : token};
        }
        String relative = System.getenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
        String full = System.getenv("AWS_CONTAINER_CREDENTIALS_FULL_URI");
        String url = relative != null ? "http://169.254.170.2" + relative : full;
        if (url == null) {
            if ("true".equalsIgnoreCase(System.getenv("AWS_EC2_METADATA_DISABLED"))) {
                throw new IllegalStateException("no AWS credentials: neither AWS_ACCESS_KEY_ID nor the ECS container credentials endpoint is set, and the instance metadata service is disabled");
            }
            return instanceCredentials();
        }
        HttpRequest.Builder req = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).GET();
        String auth = System.getenv("AWS_CONTAINER_AUTHORIZATION_TOKEN");
        if (relative == null && auth != null) req.header("Authorization", auth);
        HttpResponse<String> res = HTTP.send(req.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        if (res.statusCode() != 200) throw new IllegalStateException("the ECS container credentials endpoint answered HTTP " + res.statusCode());
        JsonObject c = GSON.fromJson(res.body(), JsonObject.class);
        JsonElement token = c.get("Token");
        return new String[] {c.get("AccessKeyId").getAsString(), c.get("SecretAccessKey").getAsString(), token == null ? null : token.getAsString()};
    }

    /** The EC2 instance profile through IMDSv2: what a Batch job without a job role runs with. */
    private static String[] instanceCredentials() throws Exception {
        String base = "http://169.254.169.254/latest";
        HttpResponse<String> token;
        try {
            token = HTTP.send(HttpRequest.newBuilder(URI.create(base + "/api/token")).timeout(Duration.ofSeconds(2))
                    .header("X-aws-ec2-metadata-token-ttl-seconds", "300").PUT(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
        } catch (java.io.IOException e) {
            throw new IllegalStateException("no AWS credentials: not in the environment, no ECS container credentials endpoint, and no instance metadata service");
        }
        if (token.statusCode() != 200) throw new IllegalStateException("the instance metadata service refused a token (HTTP " + token.statusCode() + ")");
        String path = base + "/meta-data/iam/security-credentials/";
        HttpResponse<String> role = HTTP.send(HttpRequest.newBuilder(URI.create(path)).timeout(Duration.ofSeconds(2)).header("X-aws-ec2-metadata-token", token.body()).GET().build(), HttpResponse.BodyHandlers.ofString());
        String name = role.body().trim().split("\n")[0];
        if (role.statusCode() != 200 || name.isEmpty()) throw new IllegalStateException("the instance has no IAM role (instance metadata answered HTTP " + role.statusCode() + ")");
        HttpResponse<String> res = HTTP.send(HttpRequest.newBuilder(URI.create(path + name)).timeout(Duration.ofSeconds(2)).header("X-aws-ec2-metadata-token", token.body()).GET().build(), HttpResponse.BodyHandlers.ofString());
        if (res.statusCode() != 200) throw new IllegalStateException("the instance metadata service answered HTTP " + res.statusCode() + " for the role's credentials");
        JsonObject c = GSON.fromJson(res.body(), JsonObject.class);
        return new String[] {c.get("AccessKeyId").getAsString(), c.get("SecretAccessKey").getAsString(), c.get("Token").getAsString()};
    }

    // ---- Google Secret Manager: versions.access over REST ----

    private String readGoogle(String name, String version) throws Exception {
        String endpoint = run.endpoint != null ? run.endpoint : "https://secretmanager.googleapis.com";
        HttpRequest.Builder req = HttpRequest.newBuilder(URI.create(endpoint + "/v1/" + version + ":access")).timeout(Duration.ofSeconds(30)).GET();
        // An emulator on loopback takes no credentials; Google takes the VM service account's token.
        if (run.endpoint == null) req.header("Authorization", "Bearer " + googleToken());
        HttpResponse<String> res = HTTP.send(req.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        if (res.statusCode() != 200) throw new IllegalStateException("Google Secret Manager answered HTTP " + res.statusCode() + " for secret '" + name + "' (" + version + ")");
        JsonObject payload = GSON.fromJson(res.body(), JsonObject.class).getAsJsonObject("payload");
        JsonElement data = payload == null ? null : payload.get("data");
        if (data == null) throw new IllegalStateException("Google Secret Manager returned no payload for secret '" + name + "' (" + version + ")");
        return new String(Base64.getDecoder().decode(data.getAsString()), StandardCharsets.UTF_8);
    }

    private static String googleToken() throws Exception {
        HttpRequest req = HttpRequest.newBuilder(URI.create(GOOGLE_METADATA_TOKEN)).timeout(Duration.ofSeconds(10)).header("Metadata-Flavor", "Google").GET().build();
        HttpResponse<String> res = HTTP.send(req, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        if (res.statusCode() != 200) throw new IllegalStateException("the metadata server answered HTTP " + res.statusCode() + " when asked for the VM service account's token");
        return GSON.fromJson(res.body(), JsonObject.class).get("access_token").getAsString();
    }

    private static byte[] sha256(byte[] data) throws Exception {
        return MessageDigest.getInstance("SHA-256").digest(data);
    }

    private static byte[] hmac(byte[] key, String data) throws Exception {
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(key, "HmacSHA256"));
        return mac.doFinal(data.getBytes(StandardCharsets.UTF_8));
    }

    private static String hex(byte[] bytes) {
        StringBuilder sb = new StringBuilder(bytes.length * 2);
        for (byte b : bytes) sb.append(String.format("%02x", b));
        return sb.toString();
    }
}
