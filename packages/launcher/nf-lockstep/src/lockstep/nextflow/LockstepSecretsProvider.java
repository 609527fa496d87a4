package lockstep.nextflow;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import nextflow.exception.AbortOperationException;
import nextflow.exception.ProcessUnrecoverableException;
import nextflow.plugin.Priority;
import nextflow.secret.Secret;
import nextflow.secret.SecretsProvider;
import org.pf4j.Extension;

/**
 * Nextflow's secrets for a run Lockstep started on a cloud compute environment. Active only when
 * Lockstep set LOCKSTEP_SECRETS_MANIFEST (references to the run's copies in AWS Secrets Manager or
 * Google Secret Manager); anywhere else Nextflow's own local store stays in charge.
 *
 * - `secrets.NAME` in the config and the workflow body: read from the store in the head, by
 *   reference, kept in the head's memory only.
 * - `secret 'NAME'` in a process, on executors that are not secret-native (Google Batch, local):
 *   a wrapper snippet that reads each declared secret from Secret Manager at task start, with the
 *   task VM's own service account, straight into the task's environment. The wrapper (written to
 *   the work directory) holds resource names only.
 * - A name the run was not given fails with a message naming it: in the config, before anything
 *   runs; in a process, before that task is submitted.
 */
@Extension
@Priority(-100)
public class LockstepSecretsProvider implements SecretsProvider {
    private RunSecrets run;
    private StoreClient client;
    private final Map<String, String> values = new ConcurrentHashMap<>();

    @Override
    public boolean activable() {
        return RunSecrets.fromEnvironment() != null;
    }

    @Override
    public SecretsProvider load() {
        run = RunSecrets.fromEnvironment();
        if (run == null) throw new AbortOperationException("Lockstep: " + RunSecrets.ENV + " is not set");
        client = new StoreClient(run);
        return this;
    }

    private String missing(List<String> names) {
        List<String> quoted = new ArrayList<>();
        for (String n : names) quoted.add("'" + n + "'");
        String which = names.size() == 1 ? "Secret " + quoted.get(0) + " is" : "Secrets " + String.join(", ", quoted) + " are";
        return "Lockstep: " + which + " not among this run's secrets (it has: " + (run.refs.isEmpty() ? "none" : String.join(", ", run.refs.keySet()))
                + "). Add it to the workspace or to your personal secrets, and launch again.";
    }

    @Override
    public Secret getSecret(String name) {
        if (!run.refs.containsKey(name)) throw new AbortOperationException(missing(List.of(name)));
        String value = values.computeIfAbsent(name, n -> {
            try {
                return client.read(n);
            } catch (Exception e) {
                String why = e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
                throw new AbortOperationException("Lockstep: cannot read secret '" + n + "': " + why);
            }
        });
        return new Secret() {
            @Override
            public String getName() {
                return name;
            }

            @Override
            public String getValue() {
                return value;
            }

            @Override
            public String toString() {
                return "Secret[" + name + "]";
            }
        };
    }

    @Override
    public void putSecret(String name, String value) {
        throw new UnsupportedOperationException("Lockstep manages this run's secrets; change them in Lockstep");
    }

    @Override
    public void removeSecret(String name) {
        throw new UnsupportedOperationException("Lockstep manages this run's secrets; change them in Lockstep");
    }

    @Override
    public Set<String> listSecretsNames() {
        return Collections.unmodifiableSet(run.refs.keySet());
    }

    @Override
    public String getSecretsEnv(List<String> secretNames) {
        if (secretNames == null || secretNames.isEmpty()) return null;
        List<String> absent = new ArrayList<>();
        for (String n : secretNames) if (!run.refs.containsKey(n)) absent.add(n);
        if (!absent.isEmpty()) throw sneaky(new ProcessUnrecoverableException(missing(absent)));
        if (!RunSecrets.GOOGLE.equals(run.store)) {
            // AWS Batch is secret-native: Nextflow never asks it for a wrapper snippet. Any other
            // executor would need the values in a file; Lockstep writes none.
            throw sneaky(new ProcessUnrecoverableException("Lockstep: tasks of this run can receive AWS secrets only on AWS Batch"));
        }
        return TaskSnippet.google(run, secretNames);
    }

    @Override
    @Deprecated
    public String getSecretsEnv() {
        return getSecretsEnv(new ArrayList<>(run.refs.keySet()));
    }

    /** Nextflow (Groovy) throws ProcessUnrecoverableException from this method without declaring it; Java needs the same. */
    @SuppressWarnings("unchecked")
    private static <E extends Throwable> RuntimeException sneaky(Throwable e) throws E {
        throw (E) e;
    }

    @Override
    public void close() {
        values.clear();
    }
}
