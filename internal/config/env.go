package config

// envKeys maps the environment variables Cloudfuse and BlobFuse2 read to
// config keys. A variable that is set and not empty overrides the file.
func envKeys() []envKey {
	return []envKey{
		{"AZURE_STORAGE_ACCOUNT", "azstorage.account-name"},
		{"AZURE_STORAGE_ACCOUNT_TYPE", "azstorage.type"},
		{"AZURE_STORAGE_ACCOUNT_CONTAINER", "azstorage.container"},
		{"AZURE_STORAGE_BLOB_ENDPOINT", "azstorage.endpoint"},
		{"AZURE_STORAGE_AUTH_TYPE", "azstorage.mode"},
		{"AZURE_STORAGE_ACCESS_KEY", "azstorage.account-key"},
		{"AZURE_STORAGE_SAS_TOKEN", "azstorage.sas"},
		{"AZURE_STORAGE_IDENTITY_CLIENT_ID", "azstorage.appid"},
		{"AZURE_STORAGE_IDENTITY_RESOURCE_ID", "azstorage.resid"},
		{"AZURE_STORAGE_IDENTITY_OBJECT_ID", "azstorage.objid"},
		{"AZURE_STORAGE_SPN_TENANT_ID", "azstorage.tenantid"},
		{"AZURE_STORAGE_SPN_CLIENT_ID", "azstorage.clientid"},
		{"AZURE_STORAGE_SPN_CLIENT_SECRET", "azstorage.clientsecret"},
		{"AZURE_STORAGE_AAD_ENDPOINT", "azstorage.aadendpoint"},
		{"AZURE_STORAGE_AUTH_RESOURCE", "azstorage.auth-resource"},
		{"AZURE_OAUTH_TOKEN_FILE", "azstorage.oauth-token-path"},
		{"AZURE_STORAGE_CPK_ENCRYPTION_KEY", "azstorage.cpk-encryption-key"},
		{"AZURE_STORAGE_CPK_ENCRYPTION_KEY_SHA256", "azstorage.cpk-encryption-key-sha256"},
	}
}

type envKey struct{ env, key string }

// envFill maps AWS variables to s3storage keys they fill only when the file
// left them empty. The AWS SDK reads these (and every other AWS_* variable:
// credentials, profile, CA bundle) itself; copying region and endpoint into
// the config makes messages and dry runs name the values in use.
func envFill() []envKey {
	return []envKey{
		{"AWS_REGION", "s3storage.region"},
		{"AWS_DEFAULT_REGION", "s3storage.region"},
		{"AWS_ENDPOINT_URL_S3", "s3storage.endpoint"},
		{"AWS_ENDPOINT_URL", "s3storage.endpoint"},
	}
}

// ApplyEnv overlays environment variables on the configuration: the
// AZURE_STORAGE_* family (and MSI_ENDPOINT, MSI_SECRET) override the file;
// AWS_REGION, AWS_DEFAULT_REGION, AWS_ENDPOINT_URL_S3 and AWS_ENDPOINT_URL
// fill s3storage.region and s3storage.endpoint only when they are empty.
// getenv is os.Getenv in production. An error names the variable and key.
func (c *Config) ApplyEnv(getenv func(string) string) error {
	for _, e := range envKeys() {
		if v := getenv(e.env); v != "" {
			if err := c.Set(e.key, v, "$"+e.env); err != nil {
				return err
			}
		}
	}
	s := newSchema()
	for _, e := range envFill() {
		v := getenv(e.env)
		if v == "" {
			continue
		}
		if c.fieldValue(s.find(e.key)).String() != "" {
			continue
		}
		if err := c.Set(e.key, v, "$"+e.env); err != nil {
			return err
		}
	}
	for _, f := range s.leaves() {
		if f.envOnly == "" {
			continue
		}
		if v := getenv(f.envOnly); v != "" {
			c.fieldValue(f).SetString(v)
			c.setOrigin(f, "$"+f.envOnly)
		}
	}
	return nil
}
