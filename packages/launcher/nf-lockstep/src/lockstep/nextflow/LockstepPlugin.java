package lockstep.nextflow;

import nextflow.plugin.BasePlugin;
import nextflow.secret.SecretsLoader;
import org.pf4j.PluginWrapper;

/**
 * The nf-lockstep plugin. Nextflow resolves its secrets provider once and keeps it; when it asks
 * before this plugin is started (the config is read before plugins start), it gets the local file
 * store. Starting resets that choice, so every later lookup (process `secret` directives, the
 * workflow body) asks again and finds LockstepSecretsProvider.
 */
public class LockstepPlugin extends BasePlugin {
    public LockstepPlugin(PluginWrapper wrapper) {
        super(wrapper);
    }

    @Override
    public void start() {
        super.start();
        if (RunSecrets.fromEnvironment() != null) SecretsLoader.getInstance().reset();
    }
}
