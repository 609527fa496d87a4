package lockstep.nextflow;

import java.util.Collection;
import java.util.List;
import nextflow.Session;
import nextflow.trace.TraceObserver;
import nextflow.trace.TraceObserverFactory;
import org.pf4j.Extension;

/** Registers {@link MissingSecretsCheck} for runs Lockstep started with a secrets manifest. */
@Extension
public class LockstepObserverFactory implements TraceObserverFactory {
    @Override
    public Collection<TraceObserver> create(Session session) {
        RunSecrets run = RunSecrets.fromEnvironment();
        return run == null ? List.of() : List.of(new MissingSecretsCheck(run));
    }
}
