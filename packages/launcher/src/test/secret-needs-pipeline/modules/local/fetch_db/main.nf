process FETCH_DB {
    tag "$meta.id"
    label 'process_single'
    secret 'DB_PASSWORD'
    secret "API_TOKEN"

    conda "${moduleDir}/environment.yml"
    container "${ workflow.containerEngine == 'singularity' && !task.ext.singularity_pull_docker_container ?
        'https://depot.galaxyproject.org/singularity/curl:7.80.0' :
        'biocontainers/curl:7.80.0' }"

    input:
    tuple val(meta), path(reads)

    output:
    tuple val(meta), path("*.db"), emit: db
    path "versions.yml"          , emit: versions

    script:
    def args = task.ext.args ?: ''
    def prefix = task.ext.prefix ?: "${meta.id}"
    """
    # secret 'NOT_IN_SCRIPT_BODY'
    curl $args -u "lockstep:\$DB_PASSWORD" -H "Authorization: Bearer \$API_TOKEN" https://db.example.org/${prefix} > ${prefix}.db

    cat <<-END_VERSIONS > versions.yml
    "${task.process}":
        curl: \$(curl --version | head -n 1 | sed 's/curl //')
    END_VERSIONS
    """
}
