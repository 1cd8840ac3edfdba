// Package kubernetes holds the driver's deployment files; this test
// decodes every one of them strictly into the Kubernetes API types, so a
// misspelt field fails here rather than in a cluster.
package kubernetes_test

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	storagev1 "k8s.io/api/storage/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"
)

const driverName = "csi.cloudfuse.io"

// newObject returns an empty object of the API type of apiVersion/kind.
func newObject(apiVersion, kind string) any {
	switch apiVersion + "/" + kind {
	case "v1/Namespace":
		return &corev1.Namespace{}
	case "v1/ServiceAccount":
		return &corev1.ServiceAccount{}
	case "v1/Secret":
		return &corev1.Secret{}
	case "v1/PersistentVolume":
		return &corev1.PersistentVolume{}
	case "v1/PersistentVolumeClaim":
		return &corev1.PersistentVolumeClaim{}
	case "v1/Pod":
		return &corev1.Pod{}
	case "apps/v1/DaemonSet":
		return &appsv1.DaemonSet{}
	case "apps/v1/Deployment":
		return &appsv1.Deployment{}
	case "rbac.authorization.k8s.io/v1/ClusterRole":
		return &rbacv1.ClusterRole{}
	case "rbac.authorization.k8s.io/v1/ClusterRoleBinding":
		return &rbacv1.ClusterRoleBinding{}
	case "storage.k8s.io/v1/CSIDriver":
		return &storagev1.CSIDriver{}
	case "storage.k8s.io/v1/StorageClass":
		return &storagev1.StorageClass{}
	}
	return nil
}

// decodeAll decodes every document of every manifest strictly.
func decodeAll(t *testing.T) map[string][]any {
	t.Helper()
	files, _ := filepath.Glob("*.yaml")
	examples, _ := filepath.Glob("examples/*.yaml")
	files = append(files, examples...)
	if len(files) < 8 {
		t.Fatalf("found only %v", files)
	}
	out := map[string][]any{}
	sep := regexp.MustCompile(`(?m)^---\s*$`)
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for i, doc := range sep.Split(string(data), -1) {
			if strings.TrimSpace(regexp.MustCompile(`(?m)^#.*$`).ReplaceAllString(doc, "")) == "" {
				continue
			}
			var tm metav1.TypeMeta
			if err := yaml.Unmarshal([]byte(doc), &tm); err != nil {
				t.Errorf("%s document %d: %v", f, i+1, err)
				continue
			}
			obj := newObject(tm.APIVersion, tm.Kind)
			if obj == nil {
				t.Errorf("%s document %d: unexpected %s %s", f, i+1, tm.APIVersion, tm.Kind)
				continue
			}
			if err := yaml.UnmarshalStrict([]byte(doc), obj); err != nil {
				t.Errorf("%s document %d (%s): %v", f, i+1, tm.Kind, err)
				continue
			}
			out[tm.Kind] = append(out[tm.Kind], obj)
		}
	}
	return out
}

func TestManifestsDecodeStrictly(t *testing.T) {
	objs := decodeAll(t)
	for _, kind := range []string{"CSIDriver", "DaemonSet", "Deployment", "ClusterRole", "StorageClass", "PersistentVolume", "Pod"} {
		if len(objs[kind]) == 0 {
			t.Errorf("no %s in the manifests", kind)
		}
	}
	for _, o := range objs["CSIDriver"] {
		d := o.(*storagev1.CSIDriver)
		if d.Name != driverName || d.Spec.AttachRequired == nil || *d.Spec.AttachRequired {
			t.Errorf("CSIDriver %s: attachRequired %v", d.Name, d.Spec.AttachRequired)
		}
	}
	for _, o := range objs["StorageClass"] {
		if sc := o.(*storagev1.StorageClass); sc.Provisioner != driverName {
			t.Errorf("StorageClass %s: provisioner %q", sc.Name, sc.Provisioner)
		}
	}
	for _, o := range objs["PersistentVolume"] {
		if pv := o.(*corev1.PersistentVolume); pv.Spec.CSI == nil || pv.Spec.CSI.Driver != driverName {
			t.Errorf("PersistentVolume %s: not of the driver", pv.Name)
		}
	}
	images := map[string]bool{}
	for _, o := range objs["DaemonSet"] {
		ds := o.(*appsv1.DaemonSet)
		checkNode(t, ds.Spec.Template.Spec)
		for _, c := range ds.Spec.Template.Spec.Containers {
			if c.Name == "cloudfuse" {
				images[c.Image] = true
			}
		}
	}
	for _, o := range objs["Deployment"] {
		for _, c := range o.(*appsv1.Deployment).Spec.Template.Spec.Containers {
			if c.Name == "cloudfuse" {
				images[c.Image] = true
				if !bytes.Contains([]byte(strings.Join(c.Args, " ")), []byte("--mode=controller")) {
					t.Errorf("the controller runs %v", c.Args)
				}
			}
		}
	}
	if len(images) != 1 {
		t.Errorf("the node and the controller run different images: %v", images)
	}
}

// checkNode checks what the node plugin needs to mount for pods.
func checkNode(t *testing.T, spec corev1.PodSpec) {
	t.Helper()
	var found bool
	for _, c := range spec.Containers {
		switch c.Name {
		case "cloudfuse":
			found = true
			if c.SecurityContext == nil || c.SecurityContext.Privileged == nil || !*c.SecurityContext.Privileged {
				t.Error("the node container is not privileged")
			}
			var pods, fuse bool
			for _, m := range c.VolumeMounts {
				pods = pods || (m.MountPath == "/var/lib/kubelet/pods" && m.MountPropagation != nil &&
					*m.MountPropagation == corev1.MountPropagationBidirectional)
				fuse = fuse || m.MountPath == "/dev/fuse"
			}
			if !pods || !fuse {
				t.Errorf("node container mounts: kubelet pods Bidirectional %v, /dev/fuse %v", pods, fuse)
			}
			if !strings.Contains(strings.Join(c.Args, " "), "--mode=node") {
				t.Errorf("the node container runs %v", c.Args)
			}
		case "node-driver-registrar":
			if !strings.Contains(strings.Join(c.Args, " "), "/plugins/"+driverName+"/csi.sock") {
				t.Errorf("the registrar points elsewhere: %v", c.Args)
			}
		}
	}
	if !found {
		t.Error("no cloudfuse container in the node DaemonSet")
	}
}
