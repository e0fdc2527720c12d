import { useState, type SyntheticEvent } from 'react';
import { css } from '@emotion/css';
import type { AppPluginMeta, GrafanaTheme2, PluginConfigPageProps } from '@grafana/data';
import { DataSourcePicker } from '@grafana/runtime';
import {
  Alert,
  Button,
  Field,
  FieldSet,
  Icon,
  Input,
  SecretInput,
  Stack,
  useStyles2,
  type IconName,
} from '@grafana/ui';
import type { SidecarStatus } from '../../review-model/code-review-api.ts';
import { fetchSidecarStatus, saveAppSettings } from '../../api/sidecar-api.ts';
import { testIds } from '../../test-ids.ts';
import { DEFAULT_SIDECAR_URL, type AppSettings } from '../../types.ts';
import { describeFailure, type ApiFailure } from '../../view-model/errors.ts';
import { describeSidecarStatus, type StatusTone } from '../../view-model/sidecar-status.ts';

export type AppConfigProps = PluginConfigPageProps<AppPluginMeta<AppSettings>>;

type TestResult = { status: SidecarStatus } | { failure: ApiFailure };

const TONE_ICON: Record<StatusTone, IconName> = {
  ok: 'check-circle',
  warning: 'exclamation-triangle',
  error: 'times-circle',
  info: 'info-circle',
};

/** The app's configuration: where the sidecar is, its API token, and the Tempo data source for Explore links. */
export default function AppConfig({ plugin }: AppConfigProps) {
  const styles = useStyles2(getStyles);
  const { jsonData, secureJsonFields } = plugin.meta;
  const [sidecarUrl, setSidecarUrl] = useState(jsonData?.sidecarUrl ?? DEFAULT_SIDECAR_URL);
  const [tempoDatasourceUid, setTempoDatasourceUid] = useState(jsonData?.tempoDatasourceUid);
  const [apiToken, setApiToken] = useState('');
  const [tokenConfigured, setTokenConfigured] = useState(Boolean(secureJsonFields?.apiToken));
  const [saving, setSaving] = useState(false);
  const [saveError, setSaveError] = useState<ApiFailure | undefined>(undefined);
  const [testing, setTesting] = useState(false);
  const [testResult, setTestResult] = useState<TestResult | undefined>(undefined);

  const urlInvalid = !/^https?:\/\/[^\s/]+/i.test(sidecarUrl.trim());

  const onSave = async (e: SyntheticEvent) => {
    e.preventDefault();
    if (urlInvalid) {
      return;
    }
    setSaving(true);
    setSaveError(undefined);
    try {
      await saveAppSettings({
        enabled: true,
        pinned: true,
        jsonData: { ...jsonData, sidecarUrl: sidecarUrl.trim(), tempoDatasourceUid },
        // Grafana never sends the stored token back: send one only when it was typed (or reset).
        secureJsonData: tokenConfigured ? undefined : { apiToken },
      });
      // The proxy route and plugin meta are read at page load.
      window.location.reload();
    } catch (err) {
      setSaveError(err as ApiFailure);
      setSaving(false);
    }
  };

  const onTest = async () => {
    setTesting(true);
    setTestResult(undefined);
    try {
      setTestResult({ status: await fetchSidecarStatus() });
    } catch (err) {
      setTestResult({ failure: err as ApiFailure });
    } finally {
      setTesting(false);
    }
  };

  return (
    <form onSubmit={onSave} data-testid={testIds.config.form} className={styles.form}>
      <FieldSet label="Sidecar">
        <Field
          label="Sidecar URL"
          description="Where the Grafana server reaches reviewtrace-server (its HTTP port, default 8686). Grafana proxies the app's requests there."
          invalid={urlInvalid}
          error={urlInvalid ? 'An http:// or https:// URL' : undefined}
        >
          <Input
            id="reviewtrace-sidecar-url"
            width={60}
            value={sidecarUrl}
            placeholder={DEFAULT_SIDECAR_URL}
            onChange={(e) => setSidecarUrl(e.currentTarget.value)}
            data-testid={testIds.config.sidecarUrl}
          />
        </Field>
        <Field
          label="API token"
          description="The sidecar's http.apiToken (REVIEWTRACE_HTTP__API_TOKEN). Stored encrypted; Grafana sends it as a Bearer header."
        >
          <SecretInput
            id="reviewtrace-api-token"
            width={60}
            value={apiToken}
            isConfigured={tokenConfigured}
            placeholder="Token"
            onChange={(e) => setApiToken(e.currentTarget.value)}
            onReset={() => {
              setTokenConfigured(false);
              setApiToken('');
            }}
            data-testid={testIds.config.apiToken}
          />
        </Field>
      </FieldSet>
      <FieldSet label="Tempo">
        <Field
          label="Tempo data source"
          description="Used by “Open trace in Explore” on a change's timeline."
          htmlFor="reviewtrace-tempo-datasource"
        >
          <div data-testid={testIds.config.tempoDatasource}>
            <DataSourcePicker
              inputId="reviewtrace-tempo-datasource"
              type="tempo"
              current={tempoDatasourceUid ?? null}
              noDefault
              width={60}
              onChange={(ds) => setTempoDatasourceUid(ds.uid)}
            />
          </div>
        </Field>
      </FieldSet>
      <Stack gap={1}>
        <Button
          type="submit"
          disabled={saving || urlInvalid}
          icon={saving ? 'spinner' : undefined}
          data-testid={testIds.config.save}
        >
          Save settings
        </Button>
        <Button
          type="button"
          variant="secondary"
          onClick={onTest}
          disabled={testing}
          icon={testing ? 'spinner' : 'heart-rate'}
          tooltip="Asks the sidecar for its status through Grafana, with the saved settings"
          data-testid={testIds.config.testConnection}
        >
          Test connection
        </Button>
      </Stack>
      {saveError && (
        <div data-testid={testIds.config.saveError} className={styles.result}>
          <Alert severity="error" title="The settings could not be saved">
            {describeFailure(saveError).detail}
          </Alert>
        </div>
      )}
      {testResult && (
        <div data-testid={testIds.config.testResult} className={styles.result}>
          <TestResultView result={testResult} />
        </div>
      )}
    </form>
  );
}

function TestResultView({ result }: { result: TestResult }) {
  const styles = useStyles2(getStyles);
  if ('failure' in result) {
    const advice = describeFailure(result.failure);
    return (
      <Alert severity="error" title={`Test failed: ${advice.title}`}>
        <p>{advice.detail}</p>
        <ul>
          {advice.checks.map((c) => (
            <li key={c}>{c}</li>
          ))}
        </ul>
        <p>The test uses the saved settings: save first after a change.</p>
      </Alert>
    );
  }
  const lines = describeSidecarStatus(result.status);
  const worst = lines.some((l) => l.tone === 'error')
    ? 'error'
    : lines.some((l) => l.tone === 'warning')
      ? 'warning'
      : 'success';
  return (
    <Alert
      severity={worst}
      title={worst === 'success' ? 'Connected to the sidecar' : 'Connected to the sidecar, with problems'}
    >
      <ul className={styles.lines}>
        {lines.map((line) => (
          <li key={line.key} data-testid={testIds.config.testLine(line.key)} data-tone={line.tone}>
            <Icon name={TONE_ICON[line.tone]} className={styles.tone[line.tone]} /> {line.text}
          </li>
        ))}
      </ul>
    </Alert>
  );
}

const getStyles = (theme: GrafanaTheme2) => ({
  form: css({ maxWidth: 900 }),
  result: css({ marginTop: theme.spacing(2) }),
  lines: css({ listStyle: 'none', padding: 0, margin: 0, li: { marginBottom: theme.spacing(0.5) } }),
  tone: {
    ok: css({ color: theme.colors.success.text }),
    warning: css({ color: theme.colors.warning.text }),
    error: css({ color: theme.colors.error.text }),
    info: css({ color: theme.colors.info.text }),
  },
});
