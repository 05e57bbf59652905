/* The model registry: one line per model file (PS_MODELS), from which both the
 * ops table and the names model.type accepts are made; the config's module keys
 * come from the same table. */
#include <string.h>

#include "engine/models/model.h"

#define PS_MODELS(X) X(lr) X(svm) X(lasso) X(mf) X(kmeans) X(svrg)

#define PS_MODEL_DECLARE(n) extern const ps_model_ops ps_model_##n;
PS_MODELS(PS_MODEL_DECLARE)
#define PS_MODEL_OPS(n) &ps_model_##n,
const ps_model_ops *const ps_models[] = {PS_MODELS(PS_MODEL_OPS) NULL};
#define PS_MODEL_NAME(n) #n,
const char *const ps_model_names[] = {PS_MODELS(PS_MODEL_NAME) NULL};

const ps_model_ops *ps_model_by_name(const char *name)
{
    for (int i = 0; ps_models[i]; i++)
        if (strcmp(ps_models[i]->name, name) == 0)
            return ps_models[i];
    return NULL;
}
